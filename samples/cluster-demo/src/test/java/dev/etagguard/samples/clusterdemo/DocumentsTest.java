package dev.etagguard.samples.clusterdemo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The storage's fence: a write whose token is smaller than one the document has seen is refused. */
class DocumentsTest {

    private final Documents documents = new Documents();

    @Test
    void aWriteWithASmallerTokenIsRefusedAndChangesNothing() {
        assertThat(documents.write("a", "v1", 10L)).isEqualTo(Documents.Outcome.CREATED);
        assertThat(documents.write("a", "v2", 12L)).isEqualTo(Documents.Outcome.REPLACED);
        assertThat(documents.write("a", "stale", 11L)).isEqualTo(Documents.Outcome.REFUSED);
        assertThat(documents.read("a")).isEqualTo("v2");
        // The same permit may write again; a newer one goes ahead.
        assertThat(documents.write("a", "v3", 12L)).isEqualTo(Documents.Outcome.REPLACED);
        assertThat(documents.write("a", "v4", 13L)).isEqualTo(Documents.Outcome.REPLACED);
        assertThat(documents.read("a")).isEqualTo("v4");
    }

    @Test
    void writesWithoutATokenAreStoredAndKeepTheFence() {
        assertThat(documents.write("a", "v1", null)).isEqualTo(Documents.Outcome.CREATED);
        assertThat(documents.write("a", "v2", 5L)).isEqualTo(Documents.Outcome.REPLACED);
        assertThat(documents.write("a", "v3", null)).isEqualTo(Documents.Outcome.REPLACED);
        assertThat(documents.write("a", "stale", 4L)).as("the fence stays at 5").isEqualTo(Documents.Outcome.REFUSED);
        assertThat(documents.read("a")).isEqualTo("v3");
        assertThat(documents.read("b")).isNull();
    }

    @Test
    void fencesArePerDocument() {
        documents.write("a", "a1", 100L);
        assertThat(documents.write("b", "b1", 1L)).isEqualTo(Documents.Outcome.CREATED);
    }
}
