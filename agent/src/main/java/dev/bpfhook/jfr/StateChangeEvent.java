package dev.bpfhook.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

@Name("bpfhook.StateChange")
@Label("TCP State Change")
@Description("A TCP connection of the watched cgroup changed state")
final class StateChangeEvent extends ConnectionJfrEvent {
    @Label("Old State")
    String oldState;

    @Label("New State")
    String newState;
}
