package io.bpf4j.core.link;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The record layout of one tracepoint, from its tracefs {@code format} file ({@link Tracefs#format}): the fields a
 * tracepoint program's context holds, at their offsets.
 *
 * @param category the tracepoint's category, e.g. {@code syscalls}
 * @param name     its name, e.g. {@code sys_enter_openat}
 * @param fields   the fields in record order, the common ones ({@code common_pid}…) included
 */
public record TracepointFormat(String category, String name, List<Field> fields) {
    private static final Pattern FIELD = Pattern.compile(
            "field:(.+?);\\s*offset:(\\d+);\\s*size:(\\d+);\\s*signed:(\\d+);");

    public TracepointFormat {
        fields = List.copyOf(fields);
    }

    /**
     * A field of the record.
     *
     * @param name    its name
     * @param cType   its C type as the format file declares it, e.g. {@code const char *}, {@code char[16]}
     * @param offset  its offset in the record
     * @param size    its size in bytes
     * @param signed  whether it is signed
     */
    public record Field(String name, String cType, int offset, int size, boolean signed) {
        /** A {@code __data_loc} field: a 32-bit word, the data's offset in the record (low half) and length. */
        public boolean dataLoc() {
            return cType.startsWith("__data_loc");
        }

        /** A fixed-size array stored in the record ({@code char[16]}, {@code u64[6]}). */
        public boolean array() {
            return !dataLoc() && cType.endsWith("]");
        }

        /** A {@code char[N]} field: a string stored in the record. */
        public boolean charArray() {
            return array() && cType.contains("char");
        }

        /** Whether the field is one every tracepoint has ({@code common_type}, {@code common_pid}…). */
        public boolean common() {
            return name.startsWith("common_");
        }

        /** The field as a C declaration, as {@code bpftrace -lv} lists it. */
        public String declaration() {
            if (cType.endsWith("]") && !dataLoc()) {
                int bracket = cType.indexOf('[');
                return cType.substring(0, bracket).strip() + " " + name + cType.substring(bracket);
            }
            return cType + (cType.endsWith("*") ? "" : " ") + name;
        }
    }

    /** This format without the common fields, the tracepoint's own. */
    public TracepointFormat withoutCommonFields() {
        return new TracepointFormat(category, name, fields.stream().filter(f -> !f.common()).toList());
    }

    /** The field called {@code name}. */
    public Optional<Field> field(String name) {
        return fields.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** Parses the text of a tracefs {@code events/CATEGORY/NAME/format} file. */
    public static TracepointFormat parse(String category, String name, String text) {
        List<Field> fields = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = FIELD.matcher(line);
            if (!m.find()) continue;
            String decl = m.group(1).strip();
            String type;
            String field;
            String array = "";
            int bracket = decl.indexOf('[', decl.lastIndexOf(' ') + 1);
            if (decl.endsWith("]") && bracket > 0) {
                array = decl.substring(bracket);
                decl = decl.substring(0, bracket);
            }
            int space = Math.max(decl.lastIndexOf(' '), decl.lastIndexOf('*'));
            field = decl.substring(space + 1);
            type = decl.substring(0, space + 1).strip() + array;
            int size = Integer.parseInt(m.group(3));
            boolean signed = m.group(4).equals("1");
            fields.add(new Field(field, type, Integer.parseInt(m.group(2)), size, signed));
        }
        return new TracepointFormat(category, name, fields);
    }
}
