# Sourced by the shell tests that run Apache Kafka's command-line tools (4.1.1, by main class from
# the jars) against a brookd they start. Needs `root` (the repository) and takes a name for the
# work folder. Sets `jars` (Kafka's jars with kafka-tools), `py` (the Python with the clients,
# tests/compat/clients-venv.sh), `work` (a temporary folder, removed on exit, with a log4j2.xml
# that keeps the tools quiet) and `pid` (empty; a brookd whose id the test puts there is killed
# on exit), and defines `tool MAIN-CLASS ARGS...` (a tool, cut after 120 s), exported with them.
jars=$("$root/scripts/fetch-kafka-tools.sh" 4.1.1)
py=$("$root/tests/compat/clients-venv.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/brook-${1:?kafka-tools-env.sh needs a name}.XXXXXX")
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/log4j2.xml" <<'XML'
<Configuration status="ERROR">
  <Appenders><Console name="err" target="SYSTEM_ERR"><PatternLayout pattern="%p %c: %m%n"/></Console></Appenders>
  <Loggers><Root level="ERROR"><AppenderRef ref="err"/></Root></Loggers>
</Configuration>
XML
tool() {  # main class, arguments...
  local cls=$1
  shift
  timeout 120 java -Dlog4j2.configurationFile="$work/log4j2.xml" -cp "$jars/*" "$cls" "$@"
}
export jars py work
export -f tool
