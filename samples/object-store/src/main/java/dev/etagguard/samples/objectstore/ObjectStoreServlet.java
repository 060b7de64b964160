package dev.etagguard.samples.objectstore;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small object store as a plain servlet, mapped at {@code /buckets/*}. It knows nothing about
 * ETags, Last-Modified or conditional requests, and takes no locks: its {@link ObjectStorage} is
 * deliberately slow and chunked, so concurrent requests on one object really race. Optimistic
 * concurrency and per-object ordering come from the {@code ETagGuardFilter} in front of it
 * ({@code WEB-INF/web.xml}), whose {@code keyQueryParameters=uploadId, partNumber} makes each part
 * of a multipart upload a resource of its own.
 *
 * <ul>
 *   <li>{@code PUT /buckets/{b}/objects/{key}}: stores the body; 201 if new, else 200.
 *   <li>{@code GET /buckets/{b}/objects/{key}}: the bytes, or 404. {@code Range: bytes=a-b},
 *       {@code a-} or {@code -n} (one range) gives 206 with {@code Content-Range}, unless the
 *       request carries {@code If-Range}: the store keeps no validators, so it cannot evaluate
 *       it and ignores the range, as RFC 9110 13.1.5 requires (the guard in front evaluates
 *       If-Range and cuts the range itself). {@code HEAD} as GET without a body.
 *   <li>{@code DELETE /buckets/{b}/objects/{key}}: 204, or 404.
 *   <li>{@code GET /buckets/{b}}: the bucket listing, JSON, with each object's size and MD5.
 *   <li>{@code PUT /buckets/{b}/objects/{key}?uploadId=U&partNumber=N}: stores part N (1-10000) of
 *       multipart upload U (any id of 1-64 characters {@code A-Z a-z 0-9 . _ ~ -}, chosen by the
 *       client; the first part creates the upload); 200 with JSON {@code partNumber} and
 *       {@code etag}.
 *   <li>{@code GET ...?uploadId=U&partNumber=N}: the part's bytes. {@code GET ...?uploadId=U}: the
 *       part listing, JSON, each part with its size and ETag.
 *   <li>{@code POST /buckets/{b}/objects/{key}} with the form body {@code uploadId=U} (and
 *       optionally {@code parts=1:etag,2:etag,...}): completes the upload, concatenating the listed
 *       parts (default all, by part number) into the object, and removes the upload; 200 with JSON
 *       {@code key}, {@code size} and {@code etag}; 400 when a listed part is missing or has
 *       another ETag, 404 for an unknown upload. The completion is sent to the object's own URI,
 *       not to {@code ?uploadId=U}, because it writes the object: for the guard it must be a write
 *       of that resource (ordered with its PUTs and DELETEs, and its validators forgotten).
 * </ul>
 *
 * <p>The ETag in listings and part answers is the store's own, S3-style: the quoted lower-case hex
 * MD5 of the bytes written, a checksum in a JSON body. The HTTP {@code ETag} header comes only
 * from the guard (a SHA-256 digest of the representation).
 *
 * <p>Delays come from the {@link ObjectStorage} in the context attribute
 * {@link ObjectStorage#ATTRIBUTE}, or else from the servlet's init-params {@code chunkSize} (bytes),
 * {@code chunkDelay} and {@code metadataDelay} (milliseconds).
 */
public class ObjectStoreServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** Largest request body stored, in bytes. */
    public static final int MAX_BODY_BYTES = 16 << 20;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._~-]{1,200}");
    private static final Pattern UPLOAD_ID = Pattern.compile("[A-Za-z0-9._~-]{1,64}");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    private static final String JSON = "application/json";
    private static final String OCTETS = "application/octet-stream";

    private transient ObjectStorage storage;

    @Override
    public void init() throws ServletException {
        Object given = getServletContext().getAttribute(ObjectStorage.ATTRIBUTE);
        if (given instanceof ObjectStorage s) {
            storage = s;
            return;
        }
        ObjectStorage.Delays d = ObjectStorage.Delays.DEFAULT;
        try {
            storage = new ObjectStorage(new ObjectStorage.Delays(
                    intParameter("chunkSize", d.chunkSize()),
                    Duration.ofMillis(intParameter("chunkDelay", (int) d.chunkDelay().toMillis())),
                    Duration.ofMillis(intParameter("metadataDelay", (int) d.metadataDelay().toMillis()))));
        } catch (IllegalArgumentException e) {
            throw new ServletException("object store: " + e.getMessage(), e);
        }
        getServletContext().setAttribute(ObjectStorage.ATTRIBUTE, storage);
    }

    private int intParameter(String name, int fallback) {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("init-param " + name + " must be a number: " + value);
        }
    }

    /** The storage behind the servlet. */
    public ObjectStorage storage() {
        return storage;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        String[] segments = path.split("/", -1);
        try {
            if (segments.length == 2 && valid(segments[1])) {
                bucket(segments[1], request, response);
            } else if (segments.length == 4 && valid(segments[1]) && segments[2].equals("objects")
                    && valid(segments[3])) {
                object(segments[1], segments[3], request, response);
            } else {
                text(response, 404, "no such resource: /buckets" + path
                        + " (expected /buckets/{bucket} or /buckets/{bucket}/objects/{key})");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    private static boolean valid(String name) {
        return NAME.matcher(name).matches() && !name.equals(".") && !name.equals("..");
    }

    /** The storage name of an object. */
    static String objectName(String bucket, String key) {
        return "o/" + bucket + "/" + key;
    }

    /** The storage name prefix of a multipart upload's parts (the part number follows). */
    static String uploadPrefix(String bucket, String key, String uploadId) {
        return "p/" + bucket + "/" + key + "/" + uploadId + "/";
    }

    // ---------------------------------------------------------------- buckets

    private void bucket(String bucket, HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!request.getMethod().equals("GET") && !request.getMethod().equals("HEAD")) {
            methodNotAllowed(response, "GET, HEAD");
            return;
        }
        StringBuilder json = new StringBuilder("{\"bucket\":\"").append(bucket).append("\",\"objects\":[");
        String prefix = "o/" + bucket + "/";
        boolean first = true;
        for (Map.Entry<String, ObjectStorage.Meta> e : storage.list(prefix).entrySet()) {
            json.append(first ? "" : ",").append("{\"key\":\"").append(e.getKey()).append("\",\"size\":")
                    .append(e.getValue().size()).append(",\"etag\":\"\\\"").append(e.getValue().md5())
                    .append("\\\"\"}");
            first = false;
        }
        json.append("]}");
        write(response, 200, JSON, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- objects and parts

    private void object(String bucket, String key, HttpServletRequest request, HttpServletResponse response)
            throws IOException, InterruptedException {
        // From the query only: a completion's form body is not a query.
        Map<String, String> query = form(request.getQueryString() == null ? "" : request.getQueryString());
        String uploadId = query.get("uploadId");
        String partNumber = query.get("partNumber");
        String method = request.getMethod();
        if (uploadId != null && !UPLOAD_ID.matcher(uploadId).matches()) {
            text(response, 400, "uploadId must be 1-64 characters of A-Z a-z 0-9 . _ ~ -");
            return;
        }
        if (partNumber != null) {
            int part = partNumber.matches("[0-9]{1,5}") ? Integer.parseInt(partNumber) : 0;
            if (uploadId == null || part < 1 || part > 10_000) {
                text(response, 400, "partNumber must be 1-10000, with an uploadId");
                return;
            }
            String name = uploadPrefix(bucket, key, uploadId) + part;
            switch (method) {
                case "GET", "HEAD" -> download(name, "no such part", request, response);
                case "PUT" -> putPart(name, part, request, response);
                default -> methodNotAllowed(response, "GET, HEAD, PUT");
            }
            return;
        }
        if (uploadId != null) {
            if (method.equals("GET") || method.equals("HEAD")) {
                listParts(bucket, key, uploadId, response);
            } else {
                methodNotAllowed(response, "GET, HEAD");
            }
            return;
        }
        String name = objectName(bucket, key);
        switch (method) {
            case "GET", "HEAD" -> download(name, "no such key", request, response);
            case "PUT" -> {
                byte[] body = readBody(request);
                if (body == null) {
                    tooLarge(response);
                    return;
                }
                boolean existed = storage.meta(name) != null;
                storage.write(name, body);
                empty(response, existed ? 200 : 201);
            }
            case "DELETE" -> {
                if (storage.delete(name)) {
                    empty(response, 204);
                } else {
                    text(response, 404, "no such key: " + key);
                }
            }
            case "POST" -> complete(bucket, key, request, response);
            default -> methodNotAllowed(response, "GET, HEAD, PUT, DELETE, POST");
        }
    }

    private void download(String name, String missing, HttpServletRequest request, HttpServletResponse response)
            throws IOException, InterruptedException {
        ObjectStorage.Download download = storage.open(name);
        if (download == null) {
            text(response, 404, missing);
            return;
        }
        long size = download.meta().size();
        response.setContentType(OCTETS);
        response.setHeader("Accept-Ranges", "bytes");
        if (request.getMethod().equals("HEAD")) {
            response.setStatus(200);
            response.setContentLengthLong(size);
            return;
        }
        long first = 0;
        long last = size - 1;
        String range = request.getHeader("Range");
        if (range != null && request.getHeader("If-Range") == null) {
            long[] r = parseRange(range, size);
            if (r != null && r.length == 0) {
                response.setHeader("Content-Range", "bytes */" + size);
                text(response, 416, "range not satisfiable");
                return;
            }
            if (r != null) {
                first = r[0];
                last = r[1];
                response.setStatus(206);
                response.setHeader("Content-Range", "bytes " + first + "-" + last + "/" + size);
            }
        }
        // No Content-Length: the bytes are streamed as they are read, and a read cut short by a
        // concurrent write or delete simply ends early.
        OutputStream out = response.getOutputStream();
        if (size > 0) {
            download.copy(out, first, last);
        }
    }

    /** {@code {first, last}}, {@code {}} when unsatisfiable, or {@code null} to ignore the header. */
    static long[] parseRange(String header, long size) {
        Matcher m = RANGE.matcher(header.strip());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return null;
        }
        try {
            if (m.group(1).isEmpty()) {
                long suffix = Long.parseLong(m.group(2));
                return suffix == 0 || size == 0 ? new long[0] : new long[] {Math.max(0, size - suffix), size - 1};
            }
            long first = Long.parseLong(m.group(1));
            long last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
            if (!m.group(2).isEmpty() && Long.parseLong(m.group(2)) < first) {
                return null;
            }
            return first >= size ? new long[0] : new long[] {first, last};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void putPart(String name, int part, HttpServletRequest request, HttpServletResponse response)
            throws IOException, InterruptedException {
        byte[] body = readBody(request);
        if (body == null) {
            tooLarge(response);
            return;
        }
        ObjectStorage.Meta meta = storage.write(name, body);
        String json = "{\"partNumber\":" + part + ",\"size\":" + meta.size() + ",\"etag\":\"\\\"" + meta.md5() + "\\\"\"}";
        write(response, 200, JSON, json.getBytes(StandardCharsets.UTF_8));
    }

    private void listParts(String bucket, String key, String uploadId, HttpServletResponse response)
            throws IOException {
        SortedMap<Integer, ObjectStorage.Meta> parts = parts(bucket, key, uploadId);
        if (parts.isEmpty()) {
            text(response, 404, "no such upload: " + uploadId);
            return;
        }
        StringBuilder json = new StringBuilder("{\"bucket\":\"").append(bucket).append("\",\"key\":\"").append(key)
                .append("\",\"uploadId\":\"").append(uploadId).append("\",\"parts\":[");
        boolean first = true;
        for (Map.Entry<Integer, ObjectStorage.Meta> e : parts.entrySet()) {
            json.append(first ? "" : ",").append("{\"partNumber\":").append(e.getKey()).append(",\"size\":")
                    .append(e.getValue().size()).append(",\"etag\":\"\\\"").append(e.getValue().md5())
                    .append("\\\"\"}");
            first = false;
        }
        json.append("]}");
        write(response, 200, JSON, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private SortedMap<Integer, ObjectStorage.Meta> parts(String bucket, String key, String uploadId) {
        SortedMap<Integer, ObjectStorage.Meta> parts = new java.util.TreeMap<>();
        storage.list(uploadPrefix(bucket, key, uploadId)).forEach((n, meta) -> parts.put(Integer.parseInt(n), meta));
        return parts;
    }

    private void complete(String bucket, String key, HttpServletRequest request, HttpServletResponse response)
            throws IOException, InterruptedException {
        byte[] body = readBody(request);
        if (body == null) {
            tooLarge(response);
            return;
        }
        Map<String, String> form = form(new String(body, StandardCharsets.UTF_8));
        String uploadId = form.get("uploadId");
        if (uploadId == null || !UPLOAD_ID.matcher(uploadId).matches()) {
            text(response, 400, "complete a multipart upload with the form body uploadId=U[&parts=1:etag,2:etag]");
            return;
        }
        SortedMap<Integer, ObjectStorage.Meta> parts = parts(bucket, key, uploadId);
        if (parts.isEmpty()) {
            text(response, 404, "no such upload: " + uploadId);
            return;
        }
        List<Integer> chosen = new ArrayList<>(parts.keySet());
        String listed = form.get("parts");
        if (listed != null && !listed.isBlank()) {
            chosen.clear();
            for (String item : listed.split(",")) {
                String[] numberAndTag = item.strip().split(":", 2);
                int number;
                try {
                    number = Integer.parseInt(numberAndTag[0].strip());
                } catch (NumberFormatException e) {
                    text(response, 400, "not a part number: " + numberAndTag[0]);
                    return;
                }
                ObjectStorage.Meta meta = parts.get(number);
                if (meta == null || (numberAndTag.length == 2
                        && !numberAndTag[1].strip().replace("\"", "").equals(meta.md5()))) {
                    text(response, 400, "invalid part " + number + ": missing, or its ETag differs");
                    return;
                }
                chosen.add(number);
            }
        }
        String prefix = uploadPrefix(bucket, key, uploadId);
        ByteArrayOutputStream object = new ByteArrayOutputStream();
        for (int number : chosen) {
            byte[] part = storage.readAll(prefix + number);
            if (part == null) {
                text(response, 409, "part " + number + " vanished while completing");
                return;
            }
            object.write(part);
        }
        ObjectStorage.Meta meta = storage.write(objectName(bucket, key), object.toByteArray());
        for (int number : parts.keySet()) {
            storage.delete(prefix + number);
        }
        String json = "{\"key\":\"" + key + "\",\"size\":" + meta.size() + ",\"etag\":\"\\\"" + meta.md5() + "\\\"\"}";
        write(response, 200, JSON, json.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new java.util.LinkedHashMap<>();
        for (String pair : body.strip().split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && !form.containsKey(pair.substring(0, eq))) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    // ---------------------------------------------------------------- plumbing

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
        text(response, 413, "request body larger than " + MAX_BODY_BYTES + " bytes");
    }

    private static void methodNotAllowed(HttpServletResponse response, String allow) throws IOException {
        response.setHeader("Allow", allow);
        text(response, 405, "method not allowed; allowed: " + allow);
    }

    private static void text(HttpServletResponse response, int status, String message) throws IOException {
        write(response, status, "text/plain;charset=UTF-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void empty(HttpServletResponse response, int status) {
        response.setStatus(status);
        if (status != 204) {
            response.setContentLength(0);
        }
    }

    private static void write(HttpServletResponse response, int status, String contentType, byte[] body)
            throws IOException {
        response.setStatus(status);
        response.setContentType(contentType);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
