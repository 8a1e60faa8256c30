package dev.bpfhook.report;

/** A minimal JSON object writer: enough for flat lines of numbers, strings and booleans. */
final class Json {
    private final StringBuilder out = new StringBuilder(256).append('{');
    private boolean first = true;

    Json field(String name, long value) {
        key(name).append(value);
        return this;
    }

    Json field(String name, boolean value) {
        key(name).append(value);
        return this;
    }

    Json field(String name, String value) {
        key(name);
        quote(out, value);
        return this;
    }

    /** A value that is already JSON (a nested object or array). */
    Json raw(String name, String json) {
        key(name).append(json);
        return this;
    }

    @Override
    public String toString() {
        return out + "}";
    }

    private StringBuilder key(String name) {
        if (!first) {
            out.append(',');
        }
        first = false;
        quote(out, name);
        return out.append(':');
    }

    static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
