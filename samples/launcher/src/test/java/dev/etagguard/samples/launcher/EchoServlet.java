package dev.etagguard.samples.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** Answers GET with the servlet context attribute {@value #ATTRIBUTE}, and every PUT with 204. */
public class EchoServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** The attribute the test hands to the webapp. */
    static final String ATTRIBUTE = "dev.etagguard.samples.launcher.test";

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain;charset=UTF-8");
        response.getOutputStream().write(String.valueOf(getServletContext().getAttribute(ATTRIBUTE))
                .getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void doPut(HttpServletRequest request, HttpServletResponse response) throws IOException {
        request.getInputStream().readAllBytes();
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }
}
