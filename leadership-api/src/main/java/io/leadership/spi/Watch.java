package io.leadership.spi;

/** A running {@link Store#watch}; closing it stops callbacks (one already running may finish). */
public interface Watch extends AutoCloseable {
    @Override
    void close();
}
