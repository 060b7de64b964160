package dev.etagguard.samples.clusterdemo;

import dev.etagguard.Exchange;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The demo's service, one per instance, all on the same {@link Documents}: plain-text documents at
 * {@code /docs/{name}}. It knows nothing about ETags and takes no locks; the guard in front does
 * both. What it does do is fence its storage write with the write permit's fencing token, as every
 * handler behind several guarded instances should:
 *
 * <ul>
 *   <li>{@code GET}: 200 with the text, or 404;</li>
 *   <li>{@code PUT}: stores the request's body as the document's text, with the token of the
 *       request attribute {@link Exchange#FENCING_TOKEN_ATTRIBUTE} (a {@code Long}; present when the
 *       guard's permits are shared, in Redis or PostgreSQL); 201 when created, 204 when replaced, and
 *       409 when the storage refused the write because a write with a larger token went ahead;</li>
 *   <li>anything else: 405.</li>
 * </ul>
 *
 * <p>Between receiving a document and storing it the handler works for {@code work} (validation, a
 * database round trip), which is when writes on different instances overlap. Thread-safe.
 */
public final class DocumentServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** Where the servlet is mapped; a document's name is the rest of the path. */
    public static final String PATH = "/docs/*";

    private final transient Documents documents;
    private final Duration work;

    /**
     * A servlet on {@code documents}.
     *
     * @param work how long a {@code PUT} works between receiving the document and storing it
     */
    public DocumentServlet(Documents documents, Duration work) {
        this.documents = documents;
        this.work = work;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String text = documents.read(name(request));
        if (text == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        response.setContentType("text/plain;charset=UTF-8");
        response.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void doPut(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String text = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Long token = (Long) request.getAttribute(Exchange.FENCING_TOKEN_ATTRIBUTE);
        try {
            Thread.sleep(work.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted before storing");
        }
        switch (documents.write(name(request), text, token)) {
            case CREATED -> response.setStatus(HttpServletResponse.SC_CREATED);
            case REPLACED -> response.setStatus(HttpServletResponse.SC_NO_CONTENT);
            case REFUSED -> {
                response.setStatus(HttpServletResponse.SC_CONFLICT);
                response.setContentType("text/plain;charset=UTF-8");
                response.getWriter().println("A newer write of this document went ahead (fencing token " + token
                        + " is stale): read it again and retry.");
            }
        }
    }

    private static String name(HttpServletRequest request) {
        String info = request.getPathInfo();
        return info == null ? "" : info.substring(1);
    }
}
