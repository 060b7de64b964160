package dev.etagguard.samples.wiki;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A deliberately naive article store: it knows nothing about ETags, Last-Modified or conditional
 * requests, and has no locking beyond its {@link ConcurrentHashMap}. Optimistic concurrency is
 * added from the outside by the {@code ETagGuardFilter} declared in {@code WEB-INF/web.xml}.
 *
 * <p>Mapped at {@code /articles} and {@code /drafts} (plus {@code /*} under each); every mapping is
 * its own namespace, keyed by the servlet path.
 *
 * <ul>
 *   <li>{@code GET /{area}}: 200, JSON array of the ids, sorted.
 *   <li>{@code POST /{area}}: stores the body under a new numeric id; 201 + Location.
 *   <li>{@code GET /{area}/{id}}: 200 {@code application/json} with the stored bytes, or 404.
 *   <li>{@code PUT /{area}/{id}}: stores the body byte-for-byte; 201 + Location if new, else 204.
 *   <li>{@code DELETE /{area}/{id}}: 204, or 404.
 * </ul>
 *
 * HEAD is answered like GET (the container drops the body, so a filter still sees it). Other
 * methods get 405; malformed ids 400 and oversized bodies 413, each with a short text body.
 *
 * <p>The articles live in memory, or, with the system property {@value #STORAGE_PROPERTY} naming a
 * directory, one file each in that directory: several servers given the same directory then serve
 * one wiki (the setting for several guarded instances sharing one store).
 */
public class WikiServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** Largest request body stored, in bytes. */
    public static final int MAX_BODY_BYTES = 1 << 20;

    private static final Pattern VALID_ID = Pattern.compile("[A-Za-z0-9._~-]{1,200}");
    private static final String JSON = "application/json";
    private static final String COLLECTION_METHODS = "GET, HEAD, POST";
    private static final String ITEM_METHODS = "GET, HEAD, PUT, DELETE";

    /** System property naming a directory to keep the articles in, shared by every server given it. */
    public static final String STORAGE_PROPERTY = "etagguard.wiki.storage";

    /** Keys are {@code servletPath + "/" + id}, e.g. {@code /articles/42}. */
    private final transient Map<String, byte[]> store = System.getProperty(STORAGE_PROPERTY) == null
            ? new ConcurrentHashMap<>() : new DirectoryStore(Path.of(System.getProperty(STORAGE_PROPERTY)));

    private final transient AtomicLong lastId = new AtomicLong();

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String area = request.getServletPath();
        String pathInfo = request.getPathInfo();
        if (pathInfo == null) {
            collection(area, request, response);
            return;
        }
        String id = pathInfo.startsWith("/") ? pathInfo.substring(1) : pathInfo;
        if (id.isEmpty()) {
            text(response, HttpServletResponse.SC_BAD_REQUEST, "empty article id");
        } else if (id.indexOf('/') >= 0) {
            text(response, HttpServletResponse.SC_BAD_REQUEST, "article id must not contain '/'");
        } else if (!VALID_ID.matcher(id).matches() || id.equals(".") || id.equals("..")) {
            text(response, HttpServletResponse.SC_BAD_REQUEST,
                    "article id must be 1-200 characters of A-Z a-z 0-9 . _ ~ -");
        } else {
            item(area, id, request, response);
        }
    }

    private void collection(String area, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        switch (request.getMethod()) {
            case "GET", "HEAD" -> list(area, response);
            case "POST" -> create(area, request, response);
            default -> methodNotAllowed(response, COLLECTION_METHODS);
        }
    }

    private void item(String area, String id, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        String key = area + "/" + id;
        switch (request.getMethod()) {
            case "GET", "HEAD" -> {
                byte[] body = store.get(key);
                if (body == null) {
                    text(response, HttpServletResponse.SC_NOT_FOUND, "no such article: " + id);
                } else {
                    write(response, HttpServletResponse.SC_OK, JSON, body);
                }
            }
            case "PUT" -> {
                byte[] body = readBody(request);
                if (body == null) {
                    tooLarge(response);
                } else if (store.put(key, body) == null) {
                    response.setHeader("Location", request.getContextPath() + key);
                    empty(response, HttpServletResponse.SC_CREATED);
                } else {
                    empty(response, HttpServletResponse.SC_NO_CONTENT);
                }
            }
            case "DELETE" -> {
                if (store.remove(key) == null) {
                    text(response, HttpServletResponse.SC_NOT_FOUND, "no such article: " + id);
                } else {
                    empty(response, HttpServletResponse.SC_NO_CONTENT);
                }
            }
            default -> methodNotAllowed(response, ITEM_METHODS);
        }
    }

    private void list(String area, HttpServletResponse response) throws IOException {
        String prefix = area + "/";
        StringBuilder json = new StringBuilder("[");
        store.keySet().stream()
                .filter(key -> key.startsWith(prefix))
                .map(key -> key.substring(prefix.length()))
                .sorted()
                // Ids are restricted to unreserved characters: nothing to escape in a JSON string.
                .forEach(id -> json.append(json.length() > 1 ? "," : "").append('"').append(id).append('"'));
        json.append(']');
        write(response, HttpServletResponse.SC_OK, JSON, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void create(String area, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        byte[] body = readBody(request);
        if (body == null) {
            tooLarge(response);
            return;
        }
        String key;
        do {
            // Skips numbers already taken by a PUT.
            key = area + "/" + lastId.incrementAndGet();
        } while (store.putIfAbsent(key, body) != null);
        response.setHeader("Location", request.getContextPath() + key);
        empty(response, HttpServletResponse.SC_CREATED);
    }

    /** The whole request body, or {@code null} when it is larger than {@link #MAX_BODY_BYTES}. */
    private static byte[] readBody(HttpServletRequest request) throws IOException {
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            return null;
        }
        try (InputStream in = request.getInputStream()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            return body.length > MAX_BODY_BYTES ? null : body;
        }
    }

    private static void tooLarge(HttpServletResponse response) throws IOException {
        text(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                "request body larger than " + MAX_BODY_BYTES + " bytes");
    }

    private static void methodNotAllowed(HttpServletResponse response, String allow) throws IOException {
        response.setHeader("Allow", allow);
        text(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "method not allowed; allowed: " + allow);
    }

    private static void text(HttpServletResponse response, int status, String message) throws IOException {
        write(response, status, "text/plain;charset=UTF-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void empty(HttpServletResponse response, int status) {
        response.setStatus(status);
        if (status != HttpServletResponse.SC_NO_CONTENT) {
            response.setContentLength(0);
        }
    }

    private static void write(HttpServletResponse response, int status, String contentType, byte[] body)
            throws IOException {
        response.setStatus(status);
        response.setContentType(contentType);
        response.setContentLength(body.length);
        // Neither flushed nor closed: a filter wrapping the response decides when it is committed.
        response.getOutputStream().write(body);
    }

    /**
     * The articles as files of one directory ({@code articles.42} for {@code /articles/42}), each
     * replaced whole by a rename, so a reader sees one version or the next. As naive as the
     * in-memory map: no locking; the guard orders the writes.
     */
    private static final class DirectoryStore extends AbstractMap<String, byte[]> {
        private final Path dir;

        DirectoryStore(Path dir) {
            try {
                this.dir = Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Path file(Object key) {
            return dir.resolve(((String) key).substring(1).replaceFirst("/", "."));
        }

        @Override
        public byte[] get(Object key) {
            try {
                return Files.readAllBytes(file(key));
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public byte[] put(String key, byte[] body) {
            byte[] previous = get(key);
            try {
                Path next = Files.createTempFile(dir, ".put-", ".tmp");
                Files.write(next, body);
                Files.move(next, file(key), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return previous;
        }

        @Override
        public byte[] putIfAbsent(String key, byte[] body) {
            try {
                Files.write(file(key), body, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
                return null;
            } catch (FileAlreadyExistsException e) {
                return get(key);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public byte[] remove(Object key) {
            byte[] previous = get(key);
            try {
                return Files.deleteIfExists(file(key)) ? previous : null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Set<String> keySet() {
            try (Stream<Path> files = Files.list(dir)) {
                return files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith("."))
                        .map(n -> "/" + n.replaceFirst("\\.", "/")).collect(Collectors.toSet());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Set<Map.Entry<String, byte[]>> entrySet() {
            return keySet().stream().map(k -> Map.entry(k, get(k))).collect(Collectors.toSet());
        }
    }
}
