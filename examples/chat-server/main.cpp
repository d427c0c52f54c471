// A minimal chat server: works unchanged with the JavaScript client
//   const socket = io("http://localhost:3000"); socket.emit("message", "Hello!");
// "message" is broadcast to everyone as {user: <socket id>, text: <message>};
// "join" joins the named room and tells that room with "joined" <socket id>.
// --recovery turns on connection state recovery: every event then carries an extra last argument,
// its offset, and a client back within 2 minutes gets its id, rooms and missed events again.
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>
#include <QTextStream>

using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
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
    parser.addOption(portOption);
    parser.addOption(hostOption);
    parser.addOption(recoveryOption);
    parser.process(app);

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

    SocketIo::Server io(options);
    QTextStream out(stdout);

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
    return app.exec();
}
