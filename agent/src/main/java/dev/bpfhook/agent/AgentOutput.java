package dev.bpfhook.agent;

/**
 * An output the agent feeds (a report file, JFR, JMX, Jolokia, Prometheus).
 * Each starts and fails on its own: a port in use disables that output alone.
 */
interface AgentOutput extends AutoCloseable {
    /** Short name for messages, e.g. "report" or "jolokia". */
    String name();

    /** Starts the output; an exception disables this output only, with one warning line. */
    void start(AgentContext context) throws Exception;

    /** Called once at JVM shutdown, after the last events were consumed. */
    @Override
    void close();
}
