package dev.bpfhook.jmx;

/** bpfhook:type=NetworkNamespace,cookie=N: one network namespace's connections. */
@Description("The connections of one network namespace (bpfhook)")
public interface NetworkNamespaceMXBean extends ConnectionCounters {
    @Description("The namespace's cookie (bpf_get_netns_cookie)")
    long getCookie();

    @Description("Whether this is the agent's own network namespace")
    boolean isOwnNamespace();
}
