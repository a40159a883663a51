import { stampedeScenario } from "./stampede.js";

export default stampedeScenario("lock");
