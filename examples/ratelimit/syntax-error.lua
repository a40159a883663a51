-- Does not compile: the run stops before any request, with one line and exit code 2.
local limit = tonumber(ARGV[1]
return 1
