package dev.bpfhook.config;

/** The agent options' documentation, kept beside the parser so that the two change together. */
public final class AgentOptionsHelp {
    private AgentOptionsHelp() {
    }

    /** The options as a markdown table, for the README. */
    public static final String TABLE = String.join("\n",
            "| Option | Values | Default | Meaning |",
            "|---|---|---|---|",
            "| `scope` | `self`, `host`, or the absolute path of a cgroup v2 directory, e.g. "
                    + "`/sys/fs/cgroup/my.slice` | `self` | which connections to watch: `self` = this JVM's cgroup, "
                    + "`host` = the cgroup v2 root (the whole host), a path = that cgroup and the cgroups below it |",
            "| `ring` | bytes with an optional `K` or `M` suffix; a power of two from `64K` to `512M` | `2M` "
                    + "| ring-buffer size between the kernel and the agent |",
            "| `connections` | `1024` to `16777216` | `65536` | connections tracked at once by the agent; the kernel "
                    + "keeps no per-connection table (see Hooks) |",
            "| `cgroups` | `16` to `1048576` | `4096` | cgroups with their own counters |",
            "| `states` | `all` or `lifecycle` | `lifecycle` | `lifecycle`: events for connect, accept, and the "
                    + "transitions to ESTABLISHED and CLOSE (every connection, about half the events and kernel time "
                    + "of `all`); `all`: an event per TCP state transition (JFR `bpfhook.StateChange` for every "
                    + "state) |",
            "| `btf` | path of a BTF file that describes the running kernel | (the kernel's own) | for kernels without "
                    + "`/sys/kernel/btf/vmlinux`: the BTF the programs are relocated against (CO-RE), e.g. from "
                    + "BTFHub; the file must exist when the agent starts. Without the kernel's own BTF, the hooks "
                    + "that need it (`tp_btf`, `fexit`, `iter`) are reported unavailable and their tracepoint tiers, "
                    + "which need tracefs, are used |",
            "| `jfr` | `on` or `off` | `on` | Flight Recorder events (`bpfhook.*`), recorded when a recording enables "
                    + "them (see `jmx-config/bpfhook.jfc`); nearly free otherwise |",
            "| `jolokia` | `off` or `[host:]port`, e.g. `8778`, `0.0.0.0:8778`, `[::1]:8778` | `127.0.0.1:8778` "
                    + "| Jolokia HTTP/JSON endpoint for JMX; the host defaults to `127.0.0.1`; another address needs "
                    + "`jolokia.user` and `jolokia.password` |",
            "| `prometheus` | `off` or `[host:]port`, e.g. `9404` | `off` | Prometheus `/metrics` endpoint; the "
                    + "host defaults to `127.0.0.1`; another address needs `prometheus.user` and "
                    + "`prometheus.password` |",
            "| `report` | `off`, `stderr`, or a file path | `off` | where to write JSON-lines reports; a relative "
                    + "path is relative to the JVM's working directory |",
            "| `report.interval` | seconds, `1` to `86400` | `60` | seconds between reports |",
            "| `events` | `on` or `off` | `off` | also write one JSON line per connection event to the report |",
            "| `jmx` | `on` or `off` | `on` | bpfhook MBeans in the platform MBeanServer (JConsole, VisualVM) |",
            "| `jmx.notifications` | `on` or `off` | `off` | a JMX notification per connection event, for clients "
                    + "that subscribe to `bpfhook:type=ConnectionMonitor` |",
            "| `jmx.notifications.rate` | `1` to `100000` | `100` | at most this many notifications a second; the "
                    + "rest are counted as dropped |",
            "| `jmx.cgroups` | `1` to `100000` | `256` | at most this many `bpfhook:type=Cgroup` (and "
                    + "`NetworkNamespace`) MBeans |",
            "| `jolokia.user` | text | (none) | basic-authentication user for Jolokia; needs `jolokia.password` |",
            "| `jolokia.password` | text | (none) | its password; needs `jolokia.user` |",
            "| `jolokia.policy` | path of a Jolokia policy file | (bundled) | replaces the read-only "
                    + "`jmx-config/jolokia-access.xml` |",
            "| `jolokia.tls.keystore` | path of a PKCS12 or JKS keystore | (none) | HTTPS for Jolokia |",
            "| `jolokia.tls.password` | text | (none) | the keystore's password |",
            "| `prometheus.config` | path of a JMX exporter YAML file | (bundled) | replaces "
                    + "`jmx-config/bpfhook-exporter.yaml` |",
            "| `prometheus.user` | text | (none) | basic-authentication user for `/metrics` (a scrape config's "
                    + "`basic_auth`); needs `prometheus.password` |",
            "| `prometheus.password` | text | (none) | its password; needs `prometheus.user` |",
            "| `prometheus.tls.keystore` | path of a PKCS12 or JKS keystore | (none) | HTTPS for `/metrics` (a scrape "
                    + "config's `scheme: https`) |",
            "| `prometheus.tls.password` | text | (none) | the keystore's password |",
            "| `log` | `off`, `error`, `warn`, `info` or `debug` | `warn` | what the agent says on stderr |",
            "| `config` | path of a properties file | (none) | more options from a UTF-8 `java.util.Properties` "
                    + "file with the same keys (except `config`); the agent arguments override it |");

    /** How the options are written, as markdown bullets for the README. */
    public static final String SYNTAX = String.join("\n",
            "- Options are `key=value` pairs separated by commas, e.g. "
                    + "`-javaagent:bpfhook-agent.jar=scope=self,ring=4M,report=/var/log/bpfhook.jsonl,report.interval=10`.",
            "- Spaces around keys and values are ignored, and so are empty entries (`a=1,,b=2`, a trailing comma). "
                    + "Every key needs `=value`, and each key may be given once.",
            "- A value cannot contain a comma: put a path with a comma in the `config` file.",
            "- `on`/`off` options also take `true`/`false` and `yes`/`no`. Words like `on`, `self`, `stderr` or "
                    + "`warn` may be in any case; keys are lowercase. A report file named like a word: `./off`.",
            "- Precedence: defaults, then the `config` file, then the agent arguments. A relative path is relative "
                    + "to the JVM's working directory.",
            "- A wrong option is reported in one line naming the option, the value and the fix.");
}
