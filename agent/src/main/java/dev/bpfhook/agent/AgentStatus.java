package dev.bpfhook.agent;

/** RUNNING, DEGRADED (some hooks missing) or DISABLED, with the reason: what an operator asks first. */
public final class AgentStatus {
    /** The agent's state. */
    public enum State {
        STARTING, RUNNING, DEGRADED, DISABLED
    }

    private final State state;
    private final String reason;

    private AgentStatus(State state, String reason) {
        this.state = state;
        this.reason = reason;
    }

    static AgentStatus starting() {
        return new AgentStatus(State.STARTING, "loading the kernel programs");
    }

    static AgentStatus running() {
        return new AgentStatus(State.RUNNING, "");
    }

    static AgentStatus degraded(String reason) {
        return new AgentStatus(State.DEGRADED, reason);
    }

    static AgentStatus disabled(String reason) {
        return new AgentStatus(State.DISABLED, reason);
    }

    public State state() {
        return state;
    }

    /** Empty when RUNNING. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return reason.isEmpty() ? state.name() : state + ": " + reason;
    }
}
