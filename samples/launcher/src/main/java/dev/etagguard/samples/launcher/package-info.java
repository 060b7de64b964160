/**
 * What the samples' {@code java -jar} launchers share, internal to the samples (not published):
 * {@link dev.etagguard.samples.launcher.SampleMain} (the command line, the ready line
 * {@code Listening on http://127.0.0.1:PORT/}, exit codes, shut-down on SIGTERM),
 * {@link dev.etagguard.samples.launcher.Arguments} (the {@code --name=value} options) and
 * {@link dev.etagguard.samples.launcher.WebappServer} (a {@link dev.etagguard.samples.launcher.Webapp}
 * started from its own {@code web.xml} on embedded Tomcat or Jetty, behind one of the guard's adapters).
 */
@NullMarked
package dev.etagguard.samples.launcher;

import org.jspecify.annotations.NullMarked;
