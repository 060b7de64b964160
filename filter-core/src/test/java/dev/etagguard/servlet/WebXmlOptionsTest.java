package dev.etagguard.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.etagguard.GuardEngine;
import dev.etagguard.settings.GuardSettings;
import dev.etagguard.settings.Option;
import dev.etagguard.testing.OptionSamples;

import org.apache.catalina.Context;
import org.apache.catalina.startup.Constants;
import org.apache.catalina.startup.ContextConfig;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every option by its name in a webapp's {@code WEB-INF/web.xml}, as Tomcat reads it: as an
 * {@code <init-param>} of the filter, and as a context parameter {@code dev.etagguard.NAME}, which
 * overrides the init-param.
 */
class WebXmlOptionsTest {

  @TempDir
  Path dir;

  @Test
  void everyOptionAsAnInitParam() throws Exception {
    assertThat(settingsOf(webXml("", initParams(OptionSamples.values())))).satisfies(OptionSamples::assertSamples);
  }

  /** The init-params give the options their defaults, where there is one to write. */
  @Test
  void everyOptionAsAContextParameterOverridingTheInitParam() throws Exception {
    Map<String, String> defaults = new LinkedHashMap<>();
    for (Option<GuardSettings.Builder> option : GuardSettings.options()) {
      if (!option.defaultValue().isEmpty()) {
        defaults.put(option.name(), option.defaultValue());
      }
    }
    StringBuilder contextParams = new StringBuilder();
    OptionSamples.values().forEach((name, value) -> contextParams.append("<context-param><param-name>")
        .append(ETagGuardFilter.CONTEXT_PARAMETER_PREFIX).append(name).append("</param-name><param-value>")
        .append(xml(value)).append("</param-value></context-param>\n"));
    assertThat(settingsOf(webXml(contextParams.toString(), initParams(defaults))))
        .satisfies(OptionSamples::assertSamples);
  }

  private static String initParams(Map<String, String> values) {
    StringBuilder b = new StringBuilder();
    values.forEach((name, value) -> b.append("<init-param><param-name>").append(name)
        .append("</param-name><param-value>").append(xml(value)).append("</param-value></init-param>\n"));
    return b.toString();
  }

  private static String webXml(String contextParams, String initParams) {
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
        %s
          <filter>
            <filter-name>etagGuard</filter-name>
            <filter-class>dev.etagguard.servlet.ETagGuardFilter</filter-class>
            <async-supported>true</async-supported>
        %s
          </filter>
          <filter-mapping>
            <filter-name>etagGuard</filter-name>
            <url-pattern>/*</url-pattern>
          </filter-mapping>
        </web-app>
        """.formatted(contextParams, initParams);
  }

  /** Deploys a webapp with this web.xml on embedded Tomcat and returns its filter's settings. */
  private GuardSettings settingsOf(String webXml) throws Exception {
    Path docBase = Files.createDirectories(dir.resolve("app/WEB-INF")).getParent();
    Files.writeString(docBase.resolve("WEB-INF/web.xml"), webXml);
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(dir.resolve("tomcat").toString());
    tomcat.setAddDefaultWebXmlToWebapp(false);
    ContextConfig config = new ContextConfig();
    config.setDefaultWebXml(Constants.NoDefaultWebXml);
    Context context = tomcat.addWebapp(tomcat.getHost(), "", docBase.toString(), config);
    StandardJarScanner scanner = (StandardJarScanner) context.getJarScanner();
    scanner.setScanClassPath(false);
    scanner.setScanManifest(false);
    context.setContainerSciFilter(".*");
    tomcat.start();
    try {
      Object engine = context.getServletContext().getAttribute(ETagGuardFilter.ENGINE_ATTRIBUTE);
      assertThat(engine).as("the filter started").isInstanceOf(GuardEngine.class);
      return ((GuardEngine) engine).settings();
    } finally {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  private static String xml(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
