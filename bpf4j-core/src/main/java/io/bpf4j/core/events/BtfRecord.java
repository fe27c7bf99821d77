package io.bpf4j.core.events;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * One event (or map value) decoded with BTF: its fields by name, in declaration order. Values are
 * {@code Long} (integers, unsigned 64-bit ones as their bit pattern — see {@link #getUnsigned}), {@code Boolean},
 * {@code Double}, {@code String} (char arrays, enum values by name), {@code BtfRecord} (nested structs and
 * unions), {@code List} (other arrays) or {@link Pointer}. Members of anonymous structs and unions appear as
 * fields of the enclosing record, as C code reads them.
 */
public final class BtfRecord {
    private final String typeName;
    private final List<String> names;
    private final Object[] values;

    BtfRecord(String typeName, List<String> names, Object[] values) {
        this.typeName = typeName;
        this.names = names;
        this.values = values;
    }

    /** A pointer value, printed in hex. */
    public record Pointer(long address) {
        @Override
        public String toString() {
            return "0x" + Long.toHexString(address);
        }
    }

    /** The C type name, e.g. {@code event} for {@code struct event}; empty for an anonymous type. */
    public String typeName() {
        return typeName;
    }

    /** The field names, in order. */
    public List<String> fieldNames() {
        return names;
    }

    /** The value of {@code field}; throws naming the fields there are when there is no such field. */
    public Object get(String field) {
        int i = names.indexOf(field);
        if (i < 0) throw new NoSuchElementException("no field '" + field + "' in " + describe() + "; fields: " + names);
        return values[i];
    }

    /** The integer value of {@code field}. */
    public long getLong(String field) {
        Object v = get(field);
        if (v instanceof Long l) return l;
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (v instanceof Pointer p) return p.address();
        throw new ClassCastException("field '" + field + "' of " + describe() + " is not an integer: " + v);
    }

    /** The value of an unsigned 64-bit {@code field} as text (Java's long is signed). */
    public String getUnsigned(String field) {
        return Long.toUnsignedString(getLong(field));
    }

    /** The string value of {@code field} (a char array or an enum value's name). */
    public String getString(String field) {
        return String.valueOf(get(field));
    }

    /** The nested struct or union {@code field}. */
    public BtfRecord getRecord(String field) {
        return (BtfRecord) get(field);
    }

    /** The fields as an ordered map (a copy). */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) m.put(names.get(i), values[i]);
        return m;
    }

    private String describe() {
        return typeName.isEmpty() ? "an anonymous struct" : "struct " + typeName;
    }

    /** {@code {pid=42, comm="bash"}}, as bpftrace prints a struct. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) b.append(", ");
            b.append(names.get(i)).append('=');
            Object v = values[i];
            if (v instanceof String s) b.append('"').append(s).append('"');
            else b.append(v);
        }
        return b.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BtfRecord r && r.names.equals(names) && Arrays.equals(r.values, values);
    }

    @Override
    public int hashCode() {
        return names.hashCode() * 31 + Arrays.hashCode(values);
    }
}
