import { stampedeScenario } from "./stampede.js";

export default stampedeScenario("early-expiry");
