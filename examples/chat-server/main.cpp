// A minimal chat server: works unchanged with the JavaScript client
//   const socket = io("http://localhost:3000"); socket.emit("message", "Hello!");
// "message" is broadcast to everyone as {user: <socket id>, text: <message>};
// "join" joins the named room and tells that room with "joined" <socket id>.
// --recovery turns on connection state recovery: every event then carries an extra last argument,
// its offset, and a client back within 2 minutes gets its id, rooms and missed events again.
// --admin serves the official Socket.IO Admin UI's namespace (/admin) without authentication;
// --admin-user NAME --admin-password-hash BCRYPT with basic authentication (see --hash-password).
// --redis redis://HOST:PORT joins a Redis cluster (@socket.io/redis-adapter compatible): broadcasts
// reach the clients of every chat server, C++ or Node.js, on that Redis. With --admin as well, the
// Admin UI connected to any of them shows every server (--admin-server-id ID names this one;
// default with --redis: host name#pid).
// On Linux it runs on SocketIo::EpollEventDispatcher, the dispatcher for servers with many connections.
#include <SocketIo/epolleventdispatcher.h>
#include <SocketIo/instrumentation.h>
#ifdef SOCKETIO_CHAT_REDIS
#include <SocketIo/redisconnection.h>
#endif
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>
#include <QSysInfo>
#include <QTextStream>

#include <memory>

using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
#ifdef SOCKETIO_HAVE_EPOLL_EVENT_DISPATCHER
    QCoreApplication::setEventDispatcher(new SocketIo::EpollEventDispatcher);   // before the application
#endif
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"chat-server"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Socket.IO chat example"_s);
    parser.addHelpOption();
    const QCommandLineOption portOption(u"port"_s, u"TCP port (default 3000)."_s, u"port"_s, u"3000"_s);
    const QCommandLineOption hostOption(u"host"_s, u"Address to listen on (default: every address)."_s, u"host"_s);
    const QCommandLineOption recoveryOption(
            u"recovery"_s,
            u"Connection state recovery: a client that lost its connection for up to 2 minutes gets its id, "
            "rooms and the messages it missed back."_s);
    const QCommandLineOption adminOption(
            u"admin"_s, u"Serve the Socket.IO Admin UI namespace /admin, without authentication."_s);
    const QCommandLineOption adminUserOption(
            u"admin-user"_s, u"Admin UI user name (basic authentication; implies --admin)."_s, u"name"_s);
    const QCommandLineOption adminHashOption(
            u"admin-password-hash"_s, u"bcrypt hash of the Admin UI password (see --hash-password)."_s,
            u"bcrypt"_s);
    const QCommandLineOption adminReadonlyOption(
            u"admin-readonly"_s, u"Admin UI may look but not act (no join/leave/disconnect/emit)."_s);
    const QCommandLineOption adminProductionOption(
            u"admin-production"_s, u"Admin UI production mode: statistics only, no per-socket events."_s);
    const QCommandLineOption adminServerIdOption(
            u"admin-server-id"_s,
            u"The server id the Admin UI shows for this server (default: the host name; with --redis the "
            "host name#pid, so that the servers of a cluster on one host stay apart)."_s,
            u"id"_s);
    const QCommandLineOption hashPasswordOption(
            u"hash-password"_s, u"Print a bcrypt hash of the given password and exit."_s, u"password"_s);
    const QCommandLineOption serveClientOption(
            u"serve-client"_s,
            u"Serve the JavaScript client bundle from this directory under /socket.io/ (e.g. "
            "node_modules/socket.io-client/dist), so that a page can load /socket.io/socket.io.js."_s,
            u"dir"_s);
    parser.addOption(portOption);
    parser.addOption(hostOption);
    parser.addOption(recoveryOption);
    parser.addOption(adminOption);
    parser.addOption(adminUserOption);
    parser.addOption(adminHashOption);
    parser.addOption(adminReadonlyOption);
    parser.addOption(adminProductionOption);
    parser.addOption(adminServerIdOption);
    parser.addOption(hashPasswordOption);
    parser.addOption(serveClientOption);
#ifdef SOCKETIO_CHAT_REDIS
    const QCommandLineOption redisOption(
            u"redis"_s, u"Join the Redis cluster at this URL, e.g. redis://127.0.0.1:6379."_s, u"url"_s);
    parser.addOption(redisOption);
#endif
    parser.process(app);

    if (parser.isSet(hashPasswordOption)) {
        const QByteArray hash = SocketIo::Instrumentation::hashPassword(parser.value(hashPasswordOption));
        if (hash.isEmpty()) {
            QTextStream(stderr) << "cannot hash this password\n";
            return 1;
        }
        QTextStream(stdout) << hash << '\n';
        return 0;
    }
    const bool admin = parser.isSet(adminOption) || parser.isSet(adminUserOption);
    if (parser.isSet(adminUserOption) != parser.isSet(adminHashOption)) {
        QTextStream(stderr) << "--admin-user and --admin-password-hash go together\n";
        return 2;
    }

    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    if (!portOk || port > 65535) {
        QTextStream(stderr) << "invalid --port " << parser.value(portOption) << '\n';
        return 2;
    }
    QHostAddress address = QHostAddress::Any;
    if (parser.isSet(hostOption)) {
        const QString host = parser.value(hostOption);
        address = host == "localhost"_L1 ? QHostAddress(QHostAddress::LocalHost) : QHostAddress(host);
        if (address.isNull()) {
            QTextStream(stderr) << "invalid --host " << host << '\n';
            return 2;
        }
    }

    SocketIo::ServerOptions options;
    // browsers load the page from elsewhere (file://, a dev server): allow any origin
    options.cors.enabled = true;
    options.cors.origins = {u"*"_s};
    options.connectionStateRecovery.enabled = parser.isSet(recoveryOption);
    if (parser.isSet(serveClientOption)) {
        options.serveClient = true;
        options.clientFilesPath = parser.value(serveClientOption);
    }
    // the Admin UI (another origin) connects with withCredentials: the origin is echoed
    options.cors.credentials = admin;

#ifdef SOCKETIO_CHAT_REDIS
    // declared before the server: destroyed after it
    std::unique_ptr<SocketIo::RedisConnection> redis;
    if (parser.isSet(redisOption)) {
        SocketIo::RedisAdapterOptions redisOptions;
        if (!redisOptions.setUrl(QUrl(parser.value(redisOption)))) {
            QTextStream(stderr) << "invalid --redis " << parser.value(redisOption) << '\n';
            return 2;
        }
        redis = std::make_unique<SocketIo::RedisConnection>(redisOptions);
        options.adapter = redis->adapterFactory();
        QObject::connect(redis.get(), &SocketIo::RedisConnection::connected, redis.get(), [url = redisOptions.url()] {
            QTextStream(stdout) << "redis connected " << url.toString() << Qt::endl;
        });
        QObject::connect(redis.get(), &SocketIo::RedisConnection::disconnected, redis.get(), [] {
            QTextStream(stdout) << "redis disconnected, reconnecting" << Qt::endl;
        });
    }
#endif

    SocketIo::Server io(options);
    QTextStream out(stdout);

    // before our own connection handler, so that socket_connected precedes what it reports
    std::unique_ptr<SocketIo::Instrumentation> instrumentation;
    if (admin) {
        SocketIo::AdminOptions adminOptions;
        if (parser.isSet(adminUserOption)) {
            adminOptions.auth = SocketIo::AdminAuth::basic(parser.value(adminUserOption),
                                                           parser.value(adminHashOption).toUtf8());
        }
        adminOptions.readonly = parser.isSet(adminReadonlyOption);
        if (parser.isSet(adminProductionOption))
            adminOptions.mode = SocketIo::AdminOptions::Mode::Production;
        if (parser.isSet(adminServerIdOption))
            adminOptions.serverId = parser.value(adminServerIdOption);
#ifdef SOCKETIO_CHAT_REDIS
        else if (redis)   // like a Node cluster worker: each server of the cluster is its own row
            adminOptions.serverId = QSysInfo::machineHostName() + u'#' + QString::number(QCoreApplication::applicationPid());
#endif
        instrumentation = std::make_unique<SocketIo::Instrumentation>(&io, adminOptions);
        if (!instrumentation->isValid()) {
            QTextStream(stderr) << "admin UI: " << instrumentation->errorString() << '\n';
            return 2;
        }
    }

    QObject::connect(&io, &SocketIo::Server::connection, &io, [&io, &out](SocketIo::Socket *socket) {
        out << (socket->isRecovered() ? "recovered " : "connected ") << socket->id() << " from "
            << socket->handshake().address << Qt::endl;

        socket->on(u"message"_s, socket, [&io, socket](const SocketIo::Message &m) {
            QCborMap message;
            message.insert(u"user"_s, socket->id());
            message.insert(u"text"_s, m.args().isEmpty() ? QCborValue() : m.args().at(0));
            io.emitEvent(u"message"_s, {message});
        });
        socket->on(u"join"_s, socket, [&io, socket](const SocketIo::Message &m) {
            const QString room = m.args().at(0).toString();
            if (room.isEmpty())
                return;
            socket->join(room);
            io.to(room).emitEvent(u"joined"_s, {socket->id()});
        });
        QObject::connect(socket, &SocketIo::Socket::disconnected, socket,
                         [&out, id = socket->id()](SocketIo::DisconnectReason reason) {
            out << "disconnected " << id << " (" << SocketIo::reasonString(reason) << ")" << Qt::endl;
        });
    });

    if (!io.listen(address, quint16(port))) {
        QTextStream(stderr) << "cannot listen on port " << port << ": " << io.errorString() << '\n';
        return 1;
    }
    out << "chat-server listening on port " << io.serverPort() << Qt::endl;
    if (instrumentation) {
        out << "admin UI: open https://admin.socket.io (or serve node_modules/@socket.io/admin-ui/ui/dist),"
            << " server URL http://localhost:" << io.serverPort() << ", namespace "
            << instrumentation->adminNamespace()->name()
            << (parser.isSet(adminUserOption) ? ", with your user name and password" : ", no authentication")
            << Qt::endl;
    }
    return app.exec();
}
