package io.bpf4j.bpftrace.ast;

import java.util.List;

/** An expression. */
public sealed interface Expr {
    /** Where the expression starts. */
    Position position();

    /** An integer literal. */
    record IntLiteral(long value, Position position) implements Expr {
    }

    /** A string literal, escapes already decoded. */
    record StringLiteral(String value, Position position) implements Expr {
    }

    /** A builtin variable: {@code pid}, {@code comm}, {@code nsecs}, {@code args}, {@code arg0}, {@code retval}… */
    record Builtin(String name, Position position) implements Expr {
    }

    /** A positional parameter {@code $1}, {@code $2}… ({@code index} ≥ 1), or {@code $#} ({@code index} 0). */
    record Positional(int index, Position position) implements Expr {
    }

    /** A scratch variable {@code $name}, local to its probe block. */
    record Variable(String name, Position position) implements Expr {
    }

    /** A map element {@code @name[keys]}; {@code @name} alone has no keys. The name includes the {@code @}. */
    record MapAccess(String name, List<Expr> keys, Position position) implements Expr {
        public MapAccess {
            keys = List.copyOf(keys);
        }
    }

    /** {@code left op right}; {@code op} is the operator as written ({@code +}, {@code ==}, {@code &&}…). */
    record Binary(String op, Expr left, Expr right, Position position) implements Expr {
    }

    /** {@code op operand} for {@code !}, {@code ~}, {@code -}, {@code *} (dereference) and {@code &}. */
    record Unary(String op, Expr operand, Position position) implements Expr {
    }

    /** {@code condition ? then : otherwise}. */
    record Ternary(Expr condition, Expr then, Expr otherwise, Position position) implements Expr {
    }

    /** A function call: {@code printf(…)}, {@code count()}, {@code str(…)}, {@code hist(…)}… */
    record Call(String name, List<Expr> args, Position position) implements Expr {
        public Call {
            args = List.copyOf(args);
        }
    }

    /**
     * A field: {@code args->filename}, {@code ptr->member}, {@code value.member}, a tuple's element {@code t.0};
     * {@code arrow} tells {@code ->} from {@code .}.
     */
    record Field(Expr target, String field, boolean arrow, Position position) implements Expr {
    }

    /** {@code (type) operand}: an integer conversion or a pointer cast; {@code type} as written. */
    record Cast(String type, Expr operand, Position position) implements Expr {
    }

    /** {@code target[index]} on a pointer or an array. */
    record Index(Expr target, Expr index, Position position) implements Expr {
    }

    /** A tuple {@code (a, b, …)}. */
    record Tuple(List<Expr> elements, Position position) implements Expr {
        public Tuple {
            elements = List.copyOf(elements);
        }
    }

    /** {@code sizeof(type)} ({@code type} set, {@code operand} null) or {@code sizeof(expression)}. */
    record SizeOf(String type, Expr operand, Position position) implements Expr {
    }

    /** {@code x++}, {@code ++x}, {@code x--}, {@code --x} on a map element or a variable, as a value. */
    record Increment(Expr target, int delta, boolean prefix, Position position) implements Expr {
    }
}
