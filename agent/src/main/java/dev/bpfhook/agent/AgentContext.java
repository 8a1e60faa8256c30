package dev.bpfhook.agent;

import dev.bpfhook.config.AgentConfig;
import dev.bpfhook.container.CgroupScope;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.report.Attribution;

/** What an output may use: the configuration, the watched scope and the running monitor. */
final class AgentContext {
    private final AgentConfig config;
    private final CgroupScope scope;
    private final Monitor monitor;
    private final Attribution attribution;

    AgentContext(AgentConfig config, CgroupScope scope, Monitor monitor, Attribution attribution) {
        this.config = config;
        this.scope = scope;
        this.monitor = monitor;
        this.attribution = attribution;
    }

    AgentConfig config() {
        return config;
    }

    CgroupScope scope() {
        return scope;
    }

    Monitor monitor() {
        return monitor;
    }

    Attribution attribution() {
        return attribution;
    }
}
