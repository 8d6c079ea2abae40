import java.io.InputStream;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local like its ServerRunner, but bound to 127.0.0.1 only.
 *
 * <p>DynamoDB Local has no host flag: DynamoDBProxyServer builds {@code new Server(port)}, whose
 * connector binds every interface. The connector's host can still be set before start, so this
 * builds the server through ServerRunner.createServerFromCommandLineArgs (same option parsing and
 * -optimizeDbBeforeStartup handling), reaches the private Jetty server by reflection and sets the
 * host. Telemetry is never configured, so nothing is sent whatever the flags say.
 *
 * <p>Prints {@code LISTENING <port>} on stdout once the socket is open (port 0 lets the OS choose),
 * and exits when stdin reaches EOF so the JVM dies with its parent even if the parent is SIGKILLed.
 */
public final class LocalhostDynamoDb {
  private static final String HOST = "127.0.0.1";

  private LocalhostDynamoDb() {}

  public static void main(String[] args) throws Exception {
    // DynamoDB Local rejects -port 0; parse with a placeholder and give the connector port 0 instead.
    boolean ephemeralPort = false;
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equalsIgnoreCase("-port") && args[i + 1].equals("0")) {
        args[i + 1] = "8000";
        ephemeralPort = true;
      }
    }
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server server = (Server) serverField.get(proxy);

    ServerConnector connector = null;
    for (Connector c : server.getConnectors()) {
      if (c instanceof ServerConnector) {
        connector = (ServerConnector) c;
        connector.setHost(HOST);
        if (ephemeralPort) {
          connector.setPort(0);
        }
      }
    }
    if (connector == null) {
      System.err.println("LocalhostDynamoDb: no ServerConnector found; refusing to bind every interface");
      System.exit(2);
    }

    // DynamoDBProxyServer.start() swallows a SocketException (port in use) after printing it, so
    // success is checked on the connector rather than assumed.
    proxy.start();
    int port = connector.getLocalPort();
    if (!server.isStarted() || port <= 0) {
      System.err.println("LocalhostDynamoDb: server did not start");
      System.exit(1);
    }
    System.out.println("LISTENING " + port);
    System.out.flush();

    Thread watchdog = new Thread(LocalhostDynamoDb::exitOnStdinEof, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    server.join();
  }

  private static void exitOnStdinEof() {
    InputStream in = System.in;
    byte[] buffer = new byte[256];
    try {
      while (in.read(buffer) >= 0) {
        // Input is ignored; only EOF (parent gone or stop requested) matters.
      }
    } catch (Exception ignored) {
      // A broken stdin means the parent is gone as well.
    }
    System.exit(0);
  }
}
