package io.bpf4j.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The structure the modules keep, checked on their compiled classes (tests excluded). The module system already
 * refuses, at compile time, a use of a package a module does not export (the system-call layer) or of a module
 * not required (bpf4j-object cannot see bpf4j-core); these rules add what it cannot see: cycles between packages
 * of one module, and the direction of dependencies between packages.
 */
class ArchitectureTest {
    /** bpf4j-object: what needs no kernel. */
    static final String[] PARSING = {"io.bpf4j.core.asm..", "io.bpf4j.core.btf..", "io.bpf4j.core.elf..",
            "io.bpf4j.core.object..", "io.bpf4j.core.format.."};

    static JavaClasses bpf4j;

    @BeforeAll
    static void importClasses() {
        bpf4j = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.bpf4j");
    }

    @Test
    void everyModuleIsThere() {
        // a rule over no classes passes; make sure the import saw every module
        for (String p : new String[] {"io.bpf4j.core.asm", "io.bpf4j.core", "io.bpf4j.output", "io.bpf4j.tools",
                "io.bpf4j.bpftrace", "io.bpf4j.bcc.compile", "io.bpf4j.cli"}) {
            assertThat(bpf4j.containPackage(p)).as(p).isTrue();
        }
    }

    /** No package depends on itself through others: each package is one slice. */
    static final ArchRule NO_PACKAGE_CYCLES = slices().matching("io.bpf4j.(**)").should().beFreeOfCycles();

    @Test
    void packagesHaveNoCycles() {
        NO_PACKAGE_CYCLES.check(bpf4j);
    }

    @Test
    void theCycleRuleFailsOnACycle() {
        // the shape of the cycle sys/Bpf → BpfException → sys had before the syscall layer became internal
        JavaClasses cyclic = new ClassFileImporter().importPackages("io.bpf4j.architecture.cycle");
        assertThatThrownBy(() -> NO_PACKAGE_CYCLES.check(cyclic))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Cycle detected: Slice architecture.cycle.");
    }

    @Test
    void theSystemCallLayerIsUsedOnlyInsideCore() {
        classes().that().resideInAPackage("io.bpf4j.core.internal..")
                .should().onlyBeAccessed().byClassesThat().resideInAnyPackage("io.bpf4j.core", "io.bpf4j.core.internal..",
                        "io.bpf4j.core.kernel..", "io.bpf4j.core.link..", "io.bpf4j.core.events..",
                        "io.bpf4j.core.features..", "io.bpf4j.core.symbols..")
                .check(bpf4j);
    }

    @Test
    void parsingNeedsNoKernel() {
        noClasses().that().resideInAnyPackage(PARSING)
                .should().dependOnClassesThat().resideInAnyPackage("io.bpf4j.core", "io.bpf4j.core.internal..",
                        "io.bpf4j.core.kernel..", "io.bpf4j.core.error..", "io.bpf4j.core.link..",
                        "io.bpf4j.core.events..", "io.bpf4j.core.features..", "io.bpf4j.core.symbols..",
                        "io.bpf4j.output..", "io.bpf4j.bpftrace..", "io.bpf4j.tools..", "io.bpf4j.cli..")
                .check(bpf4j);
    }

    @Test
    void theAssemblerIsALeaf() {
        noClasses().that().resideInAPackage("io.bpf4j.core.asm..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bpf4j.core.btf..", "io.bpf4j.core.elf..",
                        "io.bpf4j.core.object..")
                .check(bpf4j);
    }

    @Test
    void featureReportIsOnTopOfCore() {
        // the report tries everything; what the library consults itself is in kernel (memoized probes)
        noClasses().that().resideInAPackage("io.bpf4j.core..").and().resideOutsideOfPackage("io.bpf4j.core.features..")
                .should().dependOnClassesThat().resideInAPackage("io.bpf4j.core.features..")
                .check(bpf4j);
    }

    @Test
    void layersPointDown() {
        noClasses().that().resideInAPackage("io.bpf4j.core..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bpf4j.output..", "io.bpf4j.bpftrace..",
                        "io.bpf4j.bcc..", "io.bpf4j.tools..", "io.bpf4j.cli..")
                .check(bpf4j);
        noClasses().that().resideInAPackage("io.bpf4j.bcc..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bpf4j.output..", "io.bpf4j.bpftrace..",
                        "io.bpf4j.tools..", "io.bpf4j.cli..")
                .check(bpf4j);
        noClasses().that().resideInAPackage("io.bpf4j.bpftrace..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bpf4j.tools..", "io.bpf4j.cli..")
                .check(bpf4j);
        noClasses().that().resideInAPackage("io.bpf4j.output..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bpf4j.tools..", "io.bpf4j.cli..")
                .check(bpf4j);
        noClasses().that().resideOutsideOfPackage("io.bpf4j.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.bpf4j.cli..")
                .check(bpf4j);
    }
}
