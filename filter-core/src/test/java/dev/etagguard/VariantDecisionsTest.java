package dev.etagguard;

import dev.etagguard.settings.CompressionMode;

import dev.etagguard.decision.Preconditions;
import dev.etagguard.decision.Outcome;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.etagguard.http.EntityTag;
import dev.etagguard.http.EntityTagCondition;
import dev.etagguard.http.RequestConditions;
import dev.etagguard.http.Validators;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResourceKey;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The decisions about tags that name variants, where they live: {@link EncodedVariants} (which
 * tags a compressor produced), {@link NegotiatedVariants} (the tags of negotiated
 * representations) and {@link Preconditions#evaluate(String, RequestConditions, Validators,
 * java.util.Collection, boolean)} over several current tags.
 */
class VariantDecisionsTest {

  private static final ResourceKey KEY = new ResourceKey("/r");
  private static final EntityTag T = EntityTag.strong("T");

  /** A request with header fields only. */
  record Fields(Map<String, List<String>> fields) implements RequestView {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/r";
    }

    @Override
    public String query() {
      return null;
    }

    @Override
    public List<String> headers(String name) {
      return fields.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of());
    }
  }

  // ---------------------------------------------------------------- EncodedVariants

  @ParameterizedTest
  @CsvSource(nullValues = "null", delimiter = '|', textBlock = """
      null             | null
      identity         | null
      ' , identity '   | null
      gzip             | gzip
      GZIP, br         | gzip-br
      x-gzip           | x-gzip
      'gzip, identity' | gzip
      'a b'            | encoded
      'gz/ip'          | encoded
      a0z9.b_c+d       | a0z9.b_c+d
      'gz`ip'          | encoded
      'gz{ip'          | encoded
      'gz:ip'          | encoded
      'gz@ip'          | encoded
      """)
  void codingNamesTheContentCodings(String field, String coding) {
    assertThat(EncodedVariants.coding(field)).isEqualTo(coding);
  }

  @Test
  void anEncodedResponseGetsItsOwnTag() {
    Validators identity = Validators.of(T, null);
    assertThat(EncodedVariants.encoded(identity, "gzip", CompressionMode.SUFFIX).etag())
        .isEqualTo(EntityTag.strong("T--gzip"));
    Validators suffixed = Validators.of(EntityTag.strong("T--gzip"), null);
    assertThat(EncodedVariants.encoded(suffixed, "gzip", CompressionMode.SUFFIX)).isEqualTo(suffixed);
    assertThat(EncodedVariants.encoded(suffixed, "br", CompressionMode.SUFFIX).etag())
        .isEqualTo(EntityTag.strong("T--gzip--br"));
    assertThat(EncodedVariants.encoded(identity, "gzip", CompressionMode.WEAKEN).etag()).isEqualTo(T.toWeak());
    assertThat(EncodedVariants.encoded(identity, "gzip", CompressionMode.IDENTITY).etag()).isEqualTo(T.toWeak());
    Validators weak = Validators.of(T.toWeak(), null);
    assertThat(EncodedVariants.encoded(weak, "gzip", CompressionMode.SUFFIX)).isSameAs(weak);
    assertThat(EncodedVariants.encoded(Validators.NONE, "gzip", CompressionMode.SUFFIX)).isSameAs(Validators.NONE);

    Map<String, String> fields = new java.util.HashMap<>();
    EncodedVariants.putTag(fields, identity, identity);
    assertThat(fields).isEmpty();
    EncodedVariants.putTag(fields, identity, Validators.NONE);
    assertThat(fields).isEmpty();
    EncodedVariants.putTag(fields, identity, EncodedVariants.encoded(identity, "gzip", CompressionMode.SUFFIX));
    assertThat(fields).containsExactly(Map.entry("ETag", "\"T--gzip\""));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      T--gzip      | true
      T--gzip-br   | true
      T--x.y_z+1   | true
      T--          | false
      T-gzip       | false
      T--gz/ip     | false
      T--Gzip      | false
      T--a--b      | false
      T--a-        | false
      X--gzip      | false
      T            | false
      TT--gzip     | false
      """)
  void aVariantIsTheTagWithACodingSuffix(String opaque, boolean variant) {
    assertThat(EncodedVariants.isVariant(EntityTag.strong(opaque), T)).isEqualTo(variant);
  }

  @Test
  void onlyTheVariantsACompressorProducedAreMappedForIfMatch() {
    EncodedVariants.Issued issued = new EncodedVariants.Issued(10);
    EntityTag gz = EntityTag.strong("T--gzip");
    assertThat(issued.isVariant(KEY, gz, T)).isFalse();
    issued.sent(KEY, EntityTag.strong("T"), "gzip"); // no suffix: nothing sent
    issued.sent(KEY, EntityTag.strong("--gzip"), "gzip"); // the suffix alone names no identity
    issued.sent(KEY, gz.toWeak(), "gzip");
    issued.sent(KEY, gz, "br"); // another coding than the tag's
    assertThat(issued.isVariant(KEY, gz, T)).isFalse();

    issued.sent(KEY, gz, "gzip");
    assertThat(issued.isVariant(KEY, gz, T)).isTrue();
    assertThat(issued.isVariant(KEY, EntityTag.strong("T--br"), T)).isFalse();
    assertThat(issued.isVariant(new ResourceKey("/other"), gz, T)).isFalse();
    assertThat(issued.isVariant(KEY, gz, EntityTag.strong("U"))).isFalse();
    issued.sent(KEY, gz, "gzip");
    issued.sent(KEY, EntityTag.strong("T--br"), "br");
    assertThat(issued.isVariant(KEY, gz, T)).isTrue();
    assertThat(issued.isVariant(KEY, EntityTag.strong("T--br"), T)).isTrue();
    issued.sent(KEY, EntityTag.strong("U--gzip"), "gzip"); // a new identity replaces the old
    assertThat(issued.isVariant(KEY, gz, T)).isFalse();
    assertThat(issued.isVariant(KEY, EntityTag.strong("U--gzip"), EntityTag.strong("U"))).isTrue();
    issued.forget(KEY);
    assertThat(issued.isVariant(KEY, EntityTag.strong("U--gzip"), EntityTag.strong("U"))).isFalse();
  }

  @Test
  void identifyVariantsMapsIfMatchOnlyForSentVariantsAndIfNoneMatchForAny() {
    EncodedVariants.Issued issued = new EncodedVariants.Issued(10);
    RequestConditions c = HeaderSpec.conditions("If-Match: \"T--gzip\", \"x\" ; If-None-Match: \"T--br\"");
    RequestConditions before = EncodedVariants.identifyVariants(c, T, issued, KEY);
    assertThat(before.ifMatch()).isEqualTo(c.ifMatch());
    assertThat(before.ifNoneMatch()).isEqualTo(new EntityTagCondition.Tags(List.of(T)));

    issued.sent(KEY, EntityTag.strong("T--gzip"), "gzip");
    RequestConditions after = EncodedVariants.identifyVariants(c, T, issued, KEY);
    assertThat(after.ifMatch()).isEqualTo(new EntityTagCondition.Tags(List.of(T, EntityTag.strong("x"))));
    RequestConditions weak = EncodedVariants.identifyVariants(HeaderSpec.conditions("If-Match: W/\"T--gzip\""), T,
        issued, KEY);
    assertThat(weak.ifMatch()).isEqualTo(new EntityTagCondition.Tags(List.of(T.toWeak())));

    RequestConditions plain = HeaderSpec.conditions("If-Match: \"x\" ; If-None-Match: *");
    assertThat(EncodedVariants.identifyVariants(plain, T, issued, KEY)).isSameAs(plain);
    assertThat(EncodedVariants.identifyVariants(c, null, issued, KEY)).isSameAs(c);
    assertThat(EncodedVariants.identifyVariants(c, T.toWeak(), issued, KEY)).isSameAs(c);
    RequestConditions kept = EncodedVariants.identifyVariants(
        HeaderSpec.conditions("If-Match: \"T--gzip\" ; If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT"), T, issued,
        KEY);
    assertThat(kept.ifUnmodifiedSince()).isNotNull();
  }

  @Test
  void namesVariantLooksAtIfMatchAndIfNoneMatchTags() {
    assertThat(EncodedVariants.namesVariant(HeaderSpec.conditions("If-Match: \"T--gzip\""), T)).isTrue();
    assertThat(EncodedVariants.namesVariant(HeaderSpec.conditions("If-None-Match: \"x\", \"T--br\""), T)).isTrue();
    assertThat(EncodedVariants.namesVariant(HeaderSpec.conditions("If-None-Match: *"), T)).isFalse();
    assertThat(EncodedVariants.namesVariant(HeaderSpec.conditions("If-Match: \"T\""), T)).isFalse();
    assertThat(EncodedVariants.namesVariant(HeaderSpec.conditions("If-Match: \"T--gzip\""), null)).isFalse();
    assertThat(EncodedVariants.namesVariant(HeaderSpec.conditions("If-Match: \"T--gzip\""), T.toWeak())).isFalse();
  }

  // ---------------------------------------------------------------- NegotiatedVariants

  @Test
  void aVariantIsNamedByTheFieldsVaryLists() {
    RequestView json = new Fields(Map.of("accept", List.of("application/json"), "accept-language", List.of("de")));
    RequestView text = new Fields(Map.of("accept", List.of("text/plain"), "accept-language", List.of("de")));
    assertThat(NegotiatedVariants.variant(null, json, Set.of())).isNull();
    assertThat(NegotiatedVariants.variant(" ", json, Set.of())).isNull();
    assertThat(NegotiatedVariants.variant("Accept-Encoding", json, Set.of())).isNull();
    assertThat(NegotiatedVariants.variant("Accept, *", json, Set.of())).isNull();
    String a = NegotiatedVariants.variant("Accept", json, Set.of());
    assertThat(a).isNotNull().isNotEqualTo(NegotiatedVariants.variant("Accept", text, Set.of()));
    assertThat(NegotiatedVariants.variant("Accept-Language, Accept", json, Set.of()))
        .isEqualTo(NegotiatedVariants.variant("accept, ACCEPT-LANGUAGE, Accept, Accept-Encoding", json, Set.of()))
        .isNotEqualTo(a);
    assertThat(NegotiatedVariants.variant("Accept", json, Set.of("accept")))
        .isEqualTo(NegotiatedVariants.variant("Accept", new Fields(Map.of()), Set.of()));
    RequestView two = new Fields(Map.of("accept", List.of("a", "b")));
    RequestView joined = new Fields(Map.of("accept", List.of("a\n1:b")));
    assertThat(NegotiatedVariants.variant("Accept", two, Set.of()))
        .isNotEqualTo(NegotiatedVariants.variant("Accept", joined, Set.of()));
  }

  @Test
  void theSetOfCurrentVariantsStartsAgainWhenAVariantChanges() {
    NegotiatedVariants variants = new NegotiatedVariants(10);
    EntityTag j1 = EntityTag.strong("j1");
    EntityTag t1 = EntityTag.strong("t1");
    assertThat(variants.varies(KEY)).isFalse();
    assertThat(variants.alongside(KEY, j1)).isEmpty();
    variants.learned(KEY, "json", j1);
    assertThat(variants.varies(KEY)).isTrue();
    assertThat(variants.alongside(KEY, j1)).as("one variant alone").isEmpty();
    variants.learned(KEY, "json", j1);
    variants.learned(KEY, "text", t1);
    assertThat(variants.alongside(KEY, t1)).containsExactlyInAnyOrder(j1, t1);
    assertThat(variants.alongside(KEY, j1)).containsExactlyInAnyOrder(j1, t1);
    assertThat(variants.alongside(KEY, EntityTag.strong("other"))).as("not the stored tag's set").isEmpty();
    assertThat(variants.alongside(KEY, null)).isEmpty();
    variants.learned(KEY, "text", t1);
    assertThat(variants.alongside(KEY, t1)).containsExactlyInAnyOrder(j1, t1);

    EntityTag t2 = EntityTag.strong("t2");
    variants.learned(KEY, "text", t2);
    assertThat(variants.alongside(KEY, t2)).as("the text variant changed: the resource did").isEmpty();
    variants.learned(KEY, "json", EntityTag.strong("j2"));
    assertThat(variants.alongside(KEY, t2)).containsExactlyInAnyOrder(EntityTag.strong("j2"), t2);
    assertThat(variants.knows(KEY, "text", t2)).isTrue();
    assertThat(variants.knows(KEY, "text", t1)).isFalse();
    assertThat(variants.knows(KEY, "other", t2)).isFalse();
    variants.forget(KEY);
    assertThat(variants.varies(KEY)).isFalse();
    assertThat(variants.alongside(KEY, t2)).isEmpty();
    assertThat(variants.knows(KEY, "text", t2)).isFalse();
  }

  @Test
  void aResourceKeepsABoundedNumberOfVariants() {
    NegotiatedVariants variants = new NegotiatedVariants(1000);
    for (int i = 0; i < NegotiatedVariants.MAX_VARIANTS + 5; i++) {
      variants.learned(KEY, "accept-" + i, EntityTag.strong("v" + i));
    }
    EntityTag first = EntityTag.strong("v0");
    assertThat(variants.alongside(KEY, first)).hasSize(NegotiatedVariants.MAX_VARIANTS)
        .doesNotContain(EntityTag.strong("v" + NegotiatedVariants.MAX_VARIANTS));
    variants.learned(KEY, "accept-0", EntityTag.strong("changed"));
    assertThat(variants.alongside(KEY, EntityTag.strong("changed"))).as("a known variant changed").isEmpty();
  }

  // ---------------------------------------------------------------- Preconditions over variants

  @ParameterizedTest(name = "[{index}] {0} [{1}] weak={2} -> {3}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      PUT    | If-Match: "j1"                        | false | PROCEED
      PUT    | If-Match: "t1"                        | false | PROCEED
      PUT    | If-Match: "x", "j1"                   | false | PROCEED
      PUT    | If-Match: "x"                         | false | PRECONDITION_FAILED
      PUT    | If-Match: W/"j1"                      | false | PRECONDITION_FAILED
      PUT    | If-Match: W/"j1"                      | true  | PROCEED
      PUT    | If-Match: *                           | false | PROCEED
      PUT    | If-None-Match: "j1"                   | false | PRECONDITION_FAILED
      PUT    | If-None-Match: W/"t1"                 | false | PRECONDITION_FAILED
      PUT    | If-None-Match: "x"                    | false | PROCEED
      PUT    | If-None-Match: *                      | false | PRECONDITION_FAILED
      PUT    | If-Match: "j1" ; If-None-Match: "t1"  | false | PRECONDITION_FAILED
      PUT    | If-Match: "j1" ; If-None-Match: "x"   | false | PROCEED
      DELETE | If-Match: "j1"                        | false | PROCEED
      PUT    | If-Unmodified-Since: {lm}             | false | PROCEED
      PUT    | If-Unmodified-Since: {lm-1s}           | false | PRECONDITION_FAILED
      PUT    | If-Match: "j1" ; If-Unmodified-Since: {lm-1s} | false | PROCEED
      GET    | If-Match: "j1"                        | false | PRECONDITION_FAILED
      GET    | If-None-Match: "j1"                   | false | PROCEED
      """)
  void everyCurrentVariantCounts(String method, String headers, boolean weak, Outcome expected) {
    Validators current = Validators.of(EntityTag.strong("t1"), HeaderSpec.LM);
    List<EntityTag> tags = List.of(EntityTag.strong("j1"), EntityTag.strong("t1"));
    assertThat(Preconditions.evaluate(method, HeaderSpec.conditions(headers), current, tags, weak)).isEqualTo(expected);
  }

  @Test
  void withoutVariantsItIsTheOneTagEvaluation() {
    Validators current = Validators.of(EntityTag.strong("t1"), HeaderSpec.LM);
    for (String headers : List.of("If-Match: \"j1\"", "If-Match: \"t1\"", "If-None-Match: \"t1\"", "If-None-Match: *")) {
      RequestConditions c = HeaderSpec.conditions(headers);
      assertThat(Preconditions.evaluate("PUT", c, current, List.of(), false))
          .isEqualTo(Preconditions.evaluate("PUT", c, current, false));
    }
  }
}
