package dev.bpfhook.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

@Name("bpfhook.Connect")
@Label("Connect")
@Description("A process of the watched cgroup called connect() on a TCP or UDP socket")
final class ConnectEvent extends ConnectionJfrEvent {
}
