/**
 * Running HotSpot JVMs seen from outside: {@link io.bpf4j.core.jvm.JvmAttach} runs diagnostic commands in one
 * through the JDK's Attach API, as {@code jcmd} does.
 */
package io.bpf4j.core.jvm;
