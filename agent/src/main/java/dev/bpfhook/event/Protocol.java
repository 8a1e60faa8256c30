package dev.bpfhook.event;

/** Transport protocol of a connection (IPPROTO_* numbers). */
public enum Protocol {
    TCP(6),
    UDP(17),
    OTHER(-1);

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    public static Protocol of(int number) {
        return number == TCP.number ? TCP : number == UDP.number ? UDP : OTHER;
    }
}
