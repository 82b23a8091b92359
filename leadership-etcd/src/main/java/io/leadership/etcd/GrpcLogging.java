package io.leadership.etcd;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends gRPC's one noisy java.util.logging logger to SLF4J. grpc-netty (1.82) logs
 * {@code INFO: Epoll available during static init of TcpMetrics: true} from a class initialiser
 * in every JVM that opens a channel on Linux, and gRPC offers no setting to silence it. Its
 * records go to the SLF4J logger of the same name, at DEBUG (WARN and ERROR for WARNING and
 * SEVERE), instead of java.util.logging's console.
 *
 * <p>Only that logger, and only if the application configured neither its level nor a handler:
 * a library must not reconfigure java.util.logging's root, nor install a bridge for every
 * logger (the application may route java.util.logging already).
 */
final class GrpcLogging {

    static final String TCP_METRICS = "io.grpc.netty.TcpMetrics";

    /** Held: java.util.logging keeps loggers weakly, and a collected one comes back unconfigured. */
    private static final java.util.logging.Logger tcpMetrics = java.util.logging.Logger.getLogger(TCP_METRICS);

    static {
        if (tcpMetrics.getLevel() == null && tcpMetrics.getHandlers().length == 0) {
            tcpMetrics.addHandler(new ToSlf4j(LoggerFactory.getLogger(TCP_METRICS)));
            tcpMetrics.setUseParentHandlers(false);
        }
    }

    private GrpcLogging() {
    }

    /** Routes the logger (once per JVM, on first use); call before the first channel is made. */
    static void route() {
        // the class initialiser did it
    }

    private static final class ToSlf4j extends Handler {
        private final Logger log;
        private final SimpleFormatter formatter = new SimpleFormatter();

        ToSlf4j(Logger log) {
            this.log = log;
        }

        @Override
        public void publish(LogRecord record) {
            int level = record.getLevel().intValue();
            String message = formatter.formatMessage(record);
            if (level >= Level.SEVERE.intValue()) {
                log.error(message, record.getThrown());
            } else if (level >= Level.WARNING.intValue()) {
                log.warn(message, record.getThrown());
            } else {
                log.debug(message, record.getThrown());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
