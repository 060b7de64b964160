package dev.etagguard.samples.springwiki;

import org.springframework.boot.test.context.SpringBootTest;

/** The wiki on Tomcat, Boot's default server. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TomcatWikiTest extends WikiScenarios {

  @Override
  String server() {
    return "Tomcat";
  }
}
