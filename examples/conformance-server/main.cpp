// The servers the official protocol test suites expect (socket.io monorepo,
// docs/engine.io-protocol/v4-test-suite and docs/socket.io-protocol/v5-test-suite):
//   conformance-server --engineio   Engine.IO echo server on /engine.io/
//   conformance-server --socketio   Socket.IO server on /socket.io/
// Both on localhost:3000 (--port to change), pingInterval 300, pingTimeout 200, CORS "*".
#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>
#include <QTextStream>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

template<typename Options>
void applySuiteOptions(Options &options)
{
    options.pingInterval = 300ms;
    options.pingTimeout = 200ms;
    options.maxHttpBufferSize = 1000000;
    options.cors.enabled = true;
    options.cors.origins = {u"*"_s};
}

// Every new socket is told its handshake auth; used on "/" and "/custom".
void sendAuth(SocketIo::Socket *socket)
{
    socket->emitEvent(u"auth"_s, {socket->handshake().auth});
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"conformance-server"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Servers for the Engine.IO v4 and Socket.IO v5 protocol test suites"_s);
    parser.addHelpOption();
    const QCommandLineOption engineOption(u"engineio"_s, u"Engine.IO echo server on /engine.io/."_s);
    const QCommandLineOption socketOption(u"socketio"_s, u"Socket.IO server on /socket.io/ (default)."_s);
    const QCommandLineOption portOption(u"port"_s, u"TCP port (default 3000)."_s, u"port"_s, u"3000"_s);
    parser.addOptions({engineOption, socketOption, portOption});
    parser.process(app);

    QTextStream err(stderr);
    if (parser.isSet(engineOption) && parser.isSet(socketOption)) {
        err << "choose one of --engineio and --socketio\n";
        return 2;
    }
    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    if (!portOk || port > 65535) {
        err << "invalid --port " << parser.value(portOption) << '\n';
        return 2;
    }
    QTextStream out(stdout);

    if (parser.isSet(engineOption)) {
        SocketIo::EngineOptions options;
        options.path = u"/engine.io/"_s;
        applySuiteOptions(options);
        auto *engine = new SocketIo::EngineServer(&app);
        engine->setOptions(options);
        QObject::connect(engine, &SocketIo::EngineServer::connection, engine, [](SocketIo::EngineSession *session) {
            QObject::connect(session, &SocketIo::EngineSession::textMessageReceived, session,
                             [session](const QByteArray &text) { session->sendText(text); });
            QObject::connect(session, &SocketIo::EngineSession::binaryMessageReceived, session,
                             [session](const QByteArray &bytes) { session->sendBinary(bytes); });
        });
        if (!engine->listen(QHostAddress::Any, quint16(port))) {
            err << "cannot listen on port " << port << ": " << engine->errorString() << '\n';
            return 1;
        }
        out << "Engine.IO conformance server on port " << engine->serverPort() << Qt::endl;
        return app.exec();
    }

    SocketIo::ServerOptions options;   // path /socket.io/
    applySuiteOptions(options);
    options.connectTimeout = 1000ms;
    auto *io = new SocketIo::Server(options, &app);

    QObject::connect(io, &SocketIo::Server::connection, io, [](SocketIo::Socket *socket) {
        sendAuth(socket);
        socket->on(u"message"_s, socket, [socket](const SocketIo::Message &m) {
            socket->emitEvent(u"message-back"_s, m.args());
        });
        socket->on(u"message-with-ack"_s, socket, [](const SocketIo::Message &m) { m.ack(m.args()); });
    });
    QObject::connect(io->of(u"/custom"_s), &SocketIo::Namespace::connection, io, &sendAuth);
    // every other namespace is refused with "Invalid namespace" (nothing else is declared)

    if (!io->listen(QHostAddress::Any, quint16(port))) {
        err << "cannot listen on port " << port << ": " << io->errorString() << '\n';
        return 1;
    }
    out << "Socket.IO conformance server on port " << io->serverPort() << Qt::endl;
    return app.exec();
}
