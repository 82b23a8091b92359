package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.http.client.methods.HttpGet;
import org.apache.http.client.methods.HttpPut;
import org.junit.jupiter.api.Test;

/** Which requests a dead pooled connection's loss may send again: never a transaction, as consul-api addresses it. */
class AbortableHttpClientTest {

    @Test
    void aTransactionIsNeverSentTwiceWhateverFormItsUriTakes() {
        assertFalse(AbortableHttpClient.repeatable(new HttpPut("http://127.0.0.1:8500/v1/txn")), "consul-api's absolute URI");
        assertFalse(AbortableHttpClient.repeatable(new HttpPut("https://agent.example:8501/v1/txn?dc=eu")));
        assertFalse(AbortableHttpClient.repeatable(new HttpPut("/v1/txn")));
    }

    @Test
    void readsAndSessionCallsAreSentAgain() {
        assertTrue(AbortableHttpClient.repeatable(new HttpGet("http://127.0.0.1:8500/v1/kv/e/?recurse&index=7")));
        assertTrue(AbortableHttpClient.repeatable(new HttpPut("http://127.0.0.1:8500/v1/session/renew/abc")));
        assertTrue(AbortableHttpClient.repeatable(new HttpPut("http://127.0.0.1:8500/v1/session/create")));
    }
}
