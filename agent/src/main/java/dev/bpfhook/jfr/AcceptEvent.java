package dev.bpfhook.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

@Name("bpfhook.Accept")
@Label("Accept")
@Description("A process of the watched cgroup accepted an inbound TCP connection")
final class AcceptEvent extends ConnectionJfrEvent {
}
