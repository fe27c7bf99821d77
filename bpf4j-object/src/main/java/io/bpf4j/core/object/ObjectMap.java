package io.bpf4j.core.object;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One map of an {@link ObjectSpec}: a BTF-defined map from {@code .maps}, a legacy {@code struct bpf_map_def} from
 * {@code maps}, or a global data section ({@code .rodata*}, {@code .data*}, {@code .bss}) which becomes a
 * one-element array whose value is the section's bytes.
 *
 * @param name           the map's name: the C variable for defined maps, the section name for global data
 * @param spec           what to create (type, sizes, flags, inner map; no BTF fd yet)
 * @param kind           where the map was defined
 * @param pinning        whether libbpf would pin it by name ({@code __uint(pinning, LIBBPF_PIN_BY_NAME)})
 * @param data           for global data: the value's initial bytes (zeros for {@code .bss}); empty otherwise
 * @param variables      for global data: the variables in the value, from the symbol table
 * @param initialValues  for prog arrays and maps of maps: the slots the object fills in ({@code .values = {…}})
 * @param btfKeyTypeId   the key's type id in the object's BTF, 0 when unknown
 * @param btfValueTypeId the value's type id in the object's BTF, 0 when unknown
 */
public record ObjectMap(String name, MapSpec spec, Kind kind, Pinning pinning, byte[] data, List<Variable> variables,
                        List<InitialValue> initialValues, int btfKeyTypeId, int btfValueTypeId) {

    public ObjectMap {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(pinning, "pinning");
        data = data.clone();
        variables = List.copyOf(variables);
        initialValues = List.copyOf(initialValues);
    }

    /** Where a map was defined in the object. */
    public enum Kind {
        /** {@code struct {…} name SEC(".maps")}, described by BTF. */
        BTF_DEFINED,
        /** {@code struct bpf_map_def name SEC("maps")}, the pre-BTF way. */
        LEGACY,
        /** A global data section ({@code .rodata*}, {@code .data*}, {@code .bss*}). */
        DATA
    }

    /** libbpf's pinning choices ({@code enum libbpf_pin_type}). */
    public enum Pinning {
        /** Not pinned. */
        NONE,
        /** Pinned at {@code <pin root>/<map name>}, reused when a compatible map is already there. */
        BY_NAME
    }

    /**
     * A global variable inside a data map's value.
     *
     * @param name   the C variable
     * @param offset its byte offset in the value
     * @param size   its size in bytes
     */
    public record Variable(String name, int offset, int size) {
    }

    /**
     * A slot of a prog array or map of maps that the object fills in ({@code .values = { [1] = &prog }}).
     *
     * @param index   the slot
     * @param target  the program's or inner map's name
     * @param program true when {@code target} is a program, false when it is a map
     */
    public record InitialValue(int index, String target, boolean program) {
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /**
     * True for a read-only data section ({@code .rodata*}): programs cannot write it, and the loader freezes it
     * after writing the initial bytes so that the verifier can treat its values as constants.
     */
    public boolean readOnly() {
        return kind == Kind.DATA && name.startsWith(".rodata");
    }

    /** This map with other initial bytes; for global data they must be exactly the value size. */
    public ObjectMap withData(byte[] bytes) {
        if (kind == Kind.DATA && bytes.length != spec.valueSize()) {
            throw new IllegalArgumentException("map '" + name + "' holds " + spec.valueSize()
                    + " bytes of global data; got " + bytes.length);
        }
        return new ObjectMap(name, spec, kind, pinning, bytes, variables, initialValues, btfKeyTypeId,
                btfValueTypeId);
    }

    /** This map with another size ({@code max_entries}: elements, or bytes for ring buffers). */
    public ObjectMap withMaxEntries(int entries) {
        return new ObjectMap(name, spec.withMaxEntries(entries), kind, pinning, data, variables, initialValues,
                btfKeyTypeId, btfValueTypeId);
    }

    /** This map with {@code variable}'s bytes replaced by {@code value} (which must be the variable's size). */
    public ObjectMap withVariable(Variable variable, byte[] value) {
        if (value.length != variable.size()) {
            throw new IllegalArgumentException("variable '" + variable.name() + "' is " + variable.size()
                    + " bytes; got " + value.length);
        }
        byte[] copy = Arrays.copyOf(data, Math.max(data.length, variable.offset() + variable.size()));
        System.arraycopy(value, 0, copy, variable.offset(), value.length);
        return withData(copy);
    }
}
