package dev.etagguard.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.security.ConstraintMapping;
import org.eclipse.jetty.ee11.servlet.security.ConstraintSecurityHandler;
import org.eclipse.jetty.security.Constraint;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.junit.jupiter.api.Test;

/**
 * Answers from the validator store ({@code authoritativePaths}) come before anything behind the
 * handler, so the handler gives none while a security handler behind it may refuse a read; the
 * mappings every webapp gets from Jetty's webdefault (TRACE forbidden, the rest allowed) refuse no
 * read and keep them.
 */
class SecuredBehindTest {

  private static ConstraintMapping mapping(String method, String[] omissions, Constraint constraint) {
    ConstraintMapping m = new ConstraintMapping();
    m.setPathSpec("/");
    m.setMethod(method);
    if (omissions != null) {
      m.setMethodOmissions(omissions);
    }
    m.setConstraint(constraint);
    return m;
  }

  private static ContextHandlerCollection tree(ConstraintSecurityHandler security) {
    ServletContextHandler context = new ServletContextHandler();
    if (security != null) {
      context.setSecurityHandler(security);
    }
    return new ContextHandlerCollection(context);
  }

  @Test
  void webdefaultsMappingsRefuseNoRead() {
    ConstraintSecurityHandler security = new ConstraintSecurityHandler();
    security.addConstraintMapping(mapping("TRACE", null, Constraint.FORBIDDEN));
    security.addConstraintMapping(mapping(null, new String[] {"TRACE"}, Constraint.ALLOWED));
    assertThat(ETagGuardHandler.securedBehind(tree(security))).isFalse();
    assertThat(ETagGuardHandler.securedBehind(tree(null))).isFalse();
    assertThat(ETagGuardHandler.securedBehind(tree(new ConstraintSecurityHandler()))).isFalse();
  }

  @Test
  void aConstraintOnReadsTurnsStoreAnswersOff() {
    for (ConstraintMapping m : new ConstraintMapping[] {mapping(null, null, Constraint.from("user")),
        mapping("GET", null, Constraint.ANY_USER), mapping(null, new String[] {"PUT"}, Constraint.FORBIDDEN),
        mapping(null, null, Constraint.SECURE_TRANSPORT)}) {
      ConstraintSecurityHandler security = new ConstraintSecurityHandler();
      security.addConstraintMapping(mapping("TRACE", null, Constraint.FORBIDDEN));
      security.addConstraintMapping(m);
      assertThat(ETagGuardHandler.securedBehind(tree(security))).as("%s", m).isTrue();
    }
    ConstraintSecurityHandler writesOnly = new ConstraintSecurityHandler();
    writesOnly.addConstraintMapping(mapping("PUT", null, Constraint.from("user")));
    writesOnly.addConstraintMapping(mapping(null, new String[] {"GET", "HEAD"}, Constraint.from("user")));
    assertThat(ETagGuardHandler.securedBehind(tree(writesOnly))).as("constraints on writes only").isFalse();
  }

  @Test
  void aMappingThatOmitsOnlyGetStillConstrainsHead() {
    ConstraintSecurityHandler security = new ConstraintSecurityHandler();
    security.addConstraintMapping(mapping(null, new String[] {"GET"}, Constraint.from("user")));
    assertThat(ETagGuardHandler.securedBehind(tree(security))).isTrue();
    ConstraintSecurityHandler head = new ConstraintSecurityHandler();
    head.addConstraintMapping(mapping("HEAD", null, Constraint.ANY_USER));
    assertThat(ETagGuardHandler.securedBehind(tree(head))).isTrue();
  }

  /** The lookup is cached, and looked up again when a webapp with constraints is deployed behind the handler. */
  @Test
  void aWebappDeployedLaterCounts() throws Exception {
    org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
    ETagGuardHandler guard = new ETagGuardHandler(dev.etagguard.settings.GuardSettings.DEFAULTS);
    ContextHandlerCollection contexts = new ContextHandlerCollection();
    guard.setHandler(contexts);
    server.setHandler(guard);
    server.start();
    try {
      assertThat(guard.securedBehind()).isFalse();
      assertThat(guard.securedBehind()).isFalse();
      ServletContextHandler app = new ServletContextHandler();
      app.setContextPath("/app");
      ConstraintSecurityHandler security = new ConstraintSecurityHandler();
      security.addConstraintMapping(mapping(null, null, Constraint.from("user")));
      app.setSecurityHandler(security);
      contexts.addHandler(app);
      app.start();
      assertThat(guard.securedBehind()).as("after the deploy").isTrue();
      contexts.removeHandler(app);
      app.stop();
      assertThat(guard.securedBehind()).as("after the undeploy").isFalse();
    } finally {
      server.stop();
    }
  }
}
