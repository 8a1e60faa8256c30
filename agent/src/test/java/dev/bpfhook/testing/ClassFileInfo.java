package dev.bpfhook.testing;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a class file declares and what it refers to, read from its bytes: enough to check the members a
 * class uses against those another class file declares (see JavaLevelIT). Not a general class file reader.
 */
public final class ClassFileInfo {
    /** A field or method another class is asked for: {@code owner} in internal form (java/lang/String). */
    public static final class MemberRef {
        public final String owner;
        public final String name;
        public final String descriptor;
        public final boolean method;

        MemberRef(String owner, String name, String descriptor, boolean method) {
            this.owner = owner;
            this.name = name;
            this.descriptor = descriptor;
            this.method = method;
        }

        @Override
        public String toString() {
            return owner + "." + name + (method ? "" : ":") + descriptor;
        }
    }

    public final int majorVersion;
    public final String superName;
    public final List<String> interfaces = new ArrayList<>();
    /** Declared fields and methods as name + descriptor, e.g. "length()I", "out:Ljava/io/PrintStream;". */
    public final Set<String> members = new HashSet<>();
    /** Classes named in the constant pool (array types left out). */
    public final Set<String> classRefs = new HashSet<>();
    public final List<MemberRef> memberRefs = new ArrayList<>();

    private ClassFileInfo(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        majorVersion = in.readUnsignedShort();
        int count = in.readUnsignedShort();
        Object[] pool = new Object[count];
        int[][] refs = new int[count][];
        byte[] tags = new byte[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            tags[i] = (byte) tag;
            switch (tag) {
                case 1: pool[i] = in.readUTF(); break;
                case 3: case 4: in.readInt(); break;
                case 5: case 6: in.readLong(); i++; break;
                case 7: case 8: case 16: case 19: case 20: refs[i] = new int[] {in.readUnsignedShort()}; break;
                case 9: case 10: case 11: case 12: case 17: case 18:
                    refs[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                    break;
                case 15: in.readUnsignedByte(); refs[i] = new int[] {in.readUnsignedShort()}; break;
                default: throw new IOException("constant pool tag " + tag);
            }
        }
        for (int i = 1; i < count; i++) {
            if (tags[i] == 7) {
                String name = (String) pool[refs[i][0]];
                if (!name.startsWith("[")) {
                    classRefs.add(name);
                }
            } else if (tags[i] == 9 || tags[i] == 10 || tags[i] == 11) {
                String owner = (String) pool[refs[refs[i][0]][0]];
                int[] nameAndType = refs[refs[i][1]];
                if (!owner.startsWith("[")) {
                    memberRefs.add(new MemberRef(owner, (String) pool[nameAndType[0]], (String) pool[nameAndType[1]],
                            tags[i] != 9));
                }
            }
        }
        in.readUnsignedShort(); // access
        in.readUnsignedShort(); // this
        int superIndex = in.readUnsignedShort();
        superName = superIndex == 0 ? null : (String) pool[refs[superIndex][0]];
        int interfaceCount = in.readUnsignedShort();
        for (int i = 0; i < interfaceCount; i++) {
            interfaces.add((String) pool[refs[in.readUnsignedShort()][0]]);
        }
        for (int kind = 0; kind < 2; kind++) { // fields, then methods
            int memberCount = in.readUnsignedShort();
            for (int i = 0; i < memberCount; i++) {
                in.readUnsignedShort();
                String name = (String) pool[in.readUnsignedShort()];
                String descriptor = (String) pool[in.readUnsignedShort()];
                members.add(name + (kind == 0 ? ":" : "") + descriptor);
                int attributes = in.readUnsignedShort();
                for (int a = 0; a < attributes; a++) {
                    in.readUnsignedShort();
                    in.skipBytes(in.readInt());
                }
            }
        }
    }

    public static ClassFileInfo read(byte[] bytes) throws IOException {
        return new ClassFileInfo(bytes);
    }
}
