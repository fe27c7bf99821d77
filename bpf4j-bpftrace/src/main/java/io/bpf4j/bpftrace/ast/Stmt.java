package io.bpf4j.bpftrace.ast;

import java.util.List;

/** A statement of a probe block. */
public sealed interface Stmt {
    /** Where the statement starts. */
    Position position();

    /** An expression evaluated for its effect, such as a call: {@code printf(…);}, {@code @c[comm] = count();}. */
    record ExprStmt(Expr expr, Position position) implements Stmt {
    }

    /** {@code @map[keys] = value;} (compound assignments are desugared by the parser). */
    record AssignMap(Expr.MapAccess target, Expr value, Position position) implements Stmt {
    }

    /** {@code $var = value;}. */
    record AssignVar(Expr.Variable target, Expr value, Position position) implements Stmt {
    }

    /** {@code if (condition) { then } else { otherwise }}; {@code otherwise} is empty when there is no else. */
    record If(Expr condition, List<Stmt> then, List<Stmt> otherwise, Position position) implements Stmt {
        public If {
            then = List.copyOf(then);
            otherwise = List.copyOf(otherwise);
        }
    }

    /** {@code unroll (count) { body }}: the body repeated count times ({@code count} a literal or a positional). */
    record Unroll(Expr count, List<Stmt> body, Position position) implements Stmt {
        public Unroll {
            body = List.copyOf(body);
        }
    }

    /** {@code return;}: leaves the probe block. */
    record Return(Position position) implements Stmt {
    }

    /** {@code while (condition) { body }}. */
    record While(Expr condition, List<Stmt> body, Position position) implements Stmt {
        public While {
            body = List.copyOf(body);
        }
    }

    /** {@code break;} or {@code continue;} in a while loop. */
    record Jump(boolean isBreak, Position position) implements Stmt {
    }
}
