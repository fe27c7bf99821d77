package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.ast.Expr;
import io.bpf4j.bpftrace.ast.Position;
import io.bpf4j.bpftrace.ast.Probe;
import io.bpf4j.bpftrace.ast.Script;
import io.bpf4j.bpftrace.ast.SourceException;
import io.bpf4j.bpftrace.ast.Stmt;
import io.bpf4j.bpftrace.parse.Parser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParserTest {
    @Test
    void attachPointsKeepSlashesAndSplitAtColons() {
        Script s = Parser.parse("uprobe:/bin/bash:readline, t:syscalls:sys_enter_* /pid == 1/ { exit(); }");
        Probe p = s.probes().getFirst();
        assertThat(p.attachPoints()).hasSize(2);
        assertThat(p.attachPoints().get(0).provider()).isEqualTo("uprobe");
        assertThat(p.attachPoints().get(0).parts()).containsExactly("/bin/bash", "readline");
        assertThat(p.attachPoints().get(1).parts()).containsExactly("syscalls", "sys_enter_*");
        assertThat(p.predicate()).isInstanceOf(Expr.Binary.class);
    }

    @Test
    void quotedAttachPointPartsKeepColonsAndEscapedQuotes() {
        Script s = Parser.parse("usdt:./bin:test:\"\\\"probe1\\\"\", uprobe:\"/a:b\":f { exit(); }");
        Probe p = s.probes().getFirst();
        assertThat(p.attachPoints()).hasSize(2);
        assertThat(p.attachPoints().get(0).parts()).containsExactly("./bin", "test", "\"probe1\"");
        assertThat(p.attachPoints().get(1).parts()).containsExactly("/a:b", "f");
    }

    @Test
    void precedenceFollowsC() {
        Stmt.AssignVar a = (Stmt.AssignVar) Parser.parse("BEGIN { $x = 1 + 2 * 3 == 7 && 1 | 2; }")
                .probes().getFirst().body().getFirst();
        Expr.Binary and = (Expr.Binary) a.value();
        assertThat(and.op()).isEqualTo("&&");
        Expr.Binary eq = (Expr.Binary) and.left();
        assertThat(eq.op()).isEqualTo("==");
        Expr.Binary plus = (Expr.Binary) eq.left();
        assertThat(plus.op()).isEqualTo("+");
        assertThat(((Expr.Binary) plus.right()).op()).isEqualTo("*");
        assertThat(((Expr.Binary) and.right()).op()).isEqualTo("|");
    }

    @Test
    void compoundAssignmentsAndIncrementsAreDesugared() {
        List<Stmt> body = Parser.parse("BEGIN { @x += 2; $i++; @m[1, \"a\"]--; }").probes().getFirst().body();
        Stmt.AssignMap plus = (Stmt.AssignMap) body.get(0);
        assertThat(((Expr.Binary) plus.value()).op()).isEqualTo("+");
        Stmt.AssignVar inc = (Stmt.AssignVar) body.get(1);
        assertThat(((Expr.Binary) inc.value()).right()).isEqualTo(new Expr.IntLiteral(1, new Position(1, 20)));
        Stmt.AssignMap dec = (Stmt.AssignMap) body.get(2);
        assertThat(dec.target().keys()).hasSize(2);
        assertThat(((Expr.Binary) dec.value()).op()).isEqualTo("-");
    }

    @Test
    void ifElseChainsTernariesCommentsAndShebang() {
        Script s = Parser.parse("""
                #!/usr/bin/env bpftrace
                // a comment
                BEGIN /* inline */ {
                  if ($1 > 2) { printf("big\\n"); } else if ($1 > 1) { printf("mid\\n"); } else { exit(); }
                  @x = $1 ? 0x10 : 1_000;
                }
                """);
        List<Stmt> body = s.probes().getFirst().body();
        Stmt.If outer = (Stmt.If) body.get(0);
        assertThat(outer.otherwise()).singleElement().isInstanceOf(Stmt.If.class);
        Expr.Ternary t = (Expr.Ternary) ((Stmt.AssignMap) body.get(1)).value();
        assertThat(((Expr.IntLiteral) t.then()).value()).isEqualTo(16);
        assertThat(((Expr.IntLiteral) t.otherwise()).value()).isEqualTo(1000);
        assertThat(s.probes().getFirst().position()).isEqualTo(new Position(3, 1));
    }

    @Test
    void stringEscapes() {
        Stmt.ExprStmt e = (Stmt.ExprStmt) Parser.parse("BEGIN { printf(\"a\\tb\\n\\\"c\\\"\\x41\"); }")
                .probes().getFirst().body().getFirst();
        Expr.StringLiteral lit = (Expr.StringLiteral) ((Expr.Call) e.expr()).args().getFirst();
        assertThat(lit.value()).isEqualTo("a\tb\n\"c\"A");
    }

    @Test
    void errorsPointAtLineAndColumn() {
        String src = "BEGIN {\n  @x = 1 +;\n}";
        assertThatThrownBy(() -> Parser.parse(src)).isInstanceOfSatisfying(SourceException.class, e -> {
            assertThat(e.position()).isEqualTo(new Position(2, 11));
            assertThat(e.render("stdin", src)).isEqualTo(
                    "stdin:2:11: ERROR: expected an expression, found ';'\n  @x = 1 +;\n          ^");
        });
        assertThatThrownBy(() -> Parser.parse("BEGIN { printf(\"x) }"))
                .hasMessageContaining("unterminated string");
        assertThatThrownBy(() -> Parser.parse("BEGIN { 1 = 2; }")).hasMessageContaining("can be assigned");
        assertThatThrownBy(() -> Parser.parse("")).hasMessageContaining("no probes");
    }

    @Test
    void structDefinitionsCastsTuplesLoopsAndDefines() {
        Script s = Parser.parse("""
                #define LIMIT 3
                struct Foo { int x; char c[4]; };
                BEGIN {
                  $p = (struct Foo *)arg0;
                  $t = (1, "a", (int8)-2);
                  while ($i < LIMIT) { $i++; if ($i == 2) { continue; } break; }
                  @v = $p->c[1] + $t.0 + *$p + sizeof(struct Foo);
                }
                """);
        assertThat(s.definitions()).containsExactly("struct Foo { int x; char c[4]; }");
        List<Stmt> body = s.probes().getFirst().body();
        assertThat(((Stmt.AssignVar) body.get(0)).value()).isInstanceOfSatisfying(Expr.Cast.class,
                c -> assertThat(c.type()).isEqualTo("struct Foo *"));
        assertThat(((Stmt.AssignVar) body.get(1)).value()).isInstanceOfSatisfying(Expr.Tuple.class,
                t -> assertThat(t.elements()).hasSize(3));
        Stmt.While w = (Stmt.While) body.get(2);
        assertThat(((Expr.Binary) w.condition()).right()).isEqualTo(new Expr.IntLiteral(3,
                ((Expr.Binary) w.condition()).right().position()));
        assertThat(w.body()).hasSize(3);
        assertThat(w.body().get(0)).isInstanceOf(Stmt.AssignVar.class); // $i++ as a statement is an assignment
        assertThatThrownBy(() -> Parser.parse("#include <no/such/header.h>\nBEGIN { }"))
                .hasMessageContaining("'no/such/header.h' file not found");
    }

    @Test
    void theToolsHeadersDefineTheirMacrosAndTheProgramsOwnDefineWins() {
        // runqlat.bt compares with TASK_RUNNING of <linux/sched.h>; tcpdrop.bt with AF_INET of <sys/socket.h>
        Script s = Parser.parse("""
                #define AF_INET6 99
                #include <linux/sched.h>
                #include <sys/socket.h>
                BEGIN { @a = TASK_RUNNING; @b = AF_INET; @c = AF_INET6; @d = TASK_UNINTERRUPTIBLE; }
                """);
        List<Long> values = s.probes().getFirst().body().stream()
                .map(st -> ((Expr.IntLiteral) ((Stmt.AssignMap) st).value()).value()).toList();
        assertThat(values).containsExactly(0L, 2L, 99L, 2L);
    }
}
