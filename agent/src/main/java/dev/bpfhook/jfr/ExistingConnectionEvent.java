package dev.bpfhook.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

@Name("bpfhook.ExistingConnection")
@Label("Existing Connection")
@Description("A TCP connection that was open when the agent started; tracked from then on")
final class ExistingConnectionEvent extends ConnectionJfrEvent {
    @Label("State")
    String state;
}
