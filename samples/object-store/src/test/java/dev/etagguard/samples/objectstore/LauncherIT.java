package dev.etagguard.samples.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code java -jar target/etag-guard-object-store.jar} as a subprocess (needs the packaged jar: run by failsafe). */
class LauncherIT {

    private static final Pattern LISTENING = Pattern.compile("Listening on http://127\\.0\\.0\\.1:([0-9]{1,5})/");
    private static final Duration STARTUP_BOUND = Duration.ofSeconds(60);
    private static final Duration EXIT_BOUND = Duration.ofSeconds(60);
    private static final String END_OF_STREAM = "\u0000end-of-stream";

    @ParameterizedTest
    @ValueSource(strings = {"on", "off"})
    void printsTheListeningLineAndServes(String guard) throws Exception {
        String adapter = "guard-" + guard;
        Path log = logFile(adapter);
        Process process = launch(log, "--port=0", "--guard=" + guard);
        BlockingQueue<String> stdout = new ArrayBlockingQueue<>(1024);
        Thread reader = new Thread(() -> pump(process, stdout), "stdout-" + adapter);
        reader.setDaemon(true);
        reader.start();
        try {

            String line = stdout.poll(STARTUP_BOUND.toSeconds(), TimeUnit.SECONDS);
            if (line == null || line.equals(END_OF_STREAM)) {
                fail("no 'Listening on' line within " + STARTUP_BOUND + " (got " + line + "); stderr:\n"
                        + Files.readString(log));
            }
            Matcher matcher = LISTENING.matcher(line);
            assertThat(matcher.matches()).as("first stdout line '%s' matches %s", line, LISTENING).isTrue();
            int port = Integer.parseInt(matcher.group(1));
            assertThat(port).isBetween(1, 65535);

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/buckets/b"))
                            .timeout(Duration.ofSeconds(30)).GET().build(),
                    BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("{\"bucket\":\"b\",\"objects\":[]}");
            assertThat(response.headers().firstValue("ETag").isPresent()).as("ETag with the guard on").isEqualTo(guard.equals("on"));
        } finally {
            process.destroy();
            if (!process.waitFor(EXIT_BOUND.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("the launcher did not stop on SIGTERM within " + EXIT_BOUND);
            }
        }
        // Nothing but the one line on stdout: everything else goes to stderr.
        List<String> rest = new ArrayList<>();
        for (String more = stdout.poll(EXIT_BOUND.toSeconds(), TimeUnit.SECONDS);
                more != null && !more.equals(END_OF_STREAM);
                more = stdout.poll(EXIT_BOUND.toSeconds(), TimeUnit.SECONDS)) {
            rest.add(more);
        }
        assertThat(rest).as("stdout after the Listening line").isEmpty();
    }

    @Test
    void badGuardExitsWith2() throws Exception {
        assertUsageError("--guard=maybe", "--guard");
    }

    @Test
    void badPortExitsWith2() throws Exception {
        assertUsageError("--port=eighty", "--port");
    }

    private static void assertUsageError(String argument, String mentioned) throws Exception {
        Path log = logFile("usage");
        Process process = launch(log, argument);
        if (!process.waitFor(EXIT_BOUND.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("the launcher did not exit on " + argument);
        }
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
        assertThat(Files.readString(log)).contains(mentioned);
    }

    private static Process launch(Path stderr, String... args) throws IOException {
        Path jar = Path.of(System.getProperty("objectstore.jar", "target/etag-guard-object-store.jar"));
        assertThat(jar).as("the executable jar (run 'package' first)").isRegularFile();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()))
                .start();
    }

    private static void pump(Process process, BlockingQueue<String> lines) {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.offer(line);
            }
        } catch (IOException e) {
            // The process went away: end of stream below.
        }
        lines.offer(END_OF_STREAM);
    }

    private static Path logFile(String name) throws IOException {
        Path dir = Path.of(Optional.ofNullable(System.getProperty("objectstore.logs")).orElse("target/launcher-logs"));
        Files.createDirectories(dir);
        return Files.createTempFile(dir, name + "-", ".stderr.log");
    }
}
