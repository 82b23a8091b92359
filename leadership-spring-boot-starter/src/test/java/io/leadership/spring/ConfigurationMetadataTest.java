package io.leadership.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The configuration metadata the processor generated into the starter's classes (what its jar
 * carries and IDEs read): every leadership.* property, each with a description.
 */
class ConfigurationMetadataTest {

    @Test
    void everyLeadershipPropertyIsListedWithADescription() throws Exception {
        JsonNode metadata;
        try (InputStream in = LeadershipProperties.class.getClassLoader()
                .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
            assertNotNull(in, "META-INF/spring-configuration-metadata.json is not on the class path: is the processor run?");
            metadata = new ObjectMapper().readTree(in);
        }
        Map<String, JsonNode> properties = new TreeMap<>();
        metadata.get("properties").forEach(p -> properties.put(p.get("name").asText(), p));
        assertEquals(Set.of("leadership.enabled", "leadership.auto-startup", "leadership.store", "leadership.ttl", "leadership.id",
                "leadership.phase", "leadership.readiness", "leadership.elections", "leadership.metrics.id-tag",
                "leadership.group.name", "leadership.group.names", "leadership.group.format", "leadership.group.count",
                "leadership.group.minimum-hold", "leadership.group.settle", "leadership.group.departure-grace"),
                properties.keySet());
        Set<String> undescribed = new TreeSet<>();
        properties.forEach((name, p) -> {
            if (!p.hasNonNull("description") || p.get("description").asText().isBlank()) {
                undescribed.add(name);
            }
        });
        assertTrue(undescribed.isEmpty(), "properties without a description: " + undescribed);
        assertEquals("true", properties.get("leadership.enabled").get("defaultValue").asText());
        assertEquals("true", properties.get("leadership.auto-startup").get("defaultValue").asText());
        assertEquals("false", properties.get("leadership.metrics.id-tag").get("defaultValue").asText());
        assertEquals("10s", properties.get("leadership.ttl").get("defaultValue").asText());
    }
}
