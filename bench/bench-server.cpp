// The benchmark server on libsocketio. Same handlers as bench/node/bench-server.js:
//   echo(...args)            with an ack request: acknowledged with args; else emitted back as "echo"
//   join(room) / leave(room) acknowledged with {"ok":true}
//   broadcast(room, payload) emits "broadcast" with payload (unchanged) to everyone in room,
//                            then acknowledges {"ok":true} if the client asked for an ack
// Prints {"event":"listening","port":N} on stdout once it accepts connections.
// --workers N (N > 1): N event-loop threads sharing the port (SocketIo::ServerWorkers), the same
// handlers in each; broadcasts reach the rooms' members on every worker.
// --event-dispatcher epoll|qt: SocketIo::EpollEventDispatcher (the default on Linux; workers
// inherit it) or Qt's UNIX dispatcher.
#include <SocketIo/engineserver.h>
#include <SocketIo/server.h>
#include <SocketIo/serverworkers.h>
#include <SocketIo/socket.h>

#include "eventdispatcherchoice.h"

#include <QAbstractEventDispatcher>
#include <QCborMap>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTextStream>

#include <sys/resource.h>

using namespace Qt::StringLiterals;

namespace {

// --nodelay (kept for comparison; the library now sets TCP_NODELAY itself): accepts connections and hands them to
// the engine (EngineServer::handleConnection()) with TCP_NODELAY set, as Node's ws does.
class NoDelayTcpServer : public QTcpServer
{
protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        addPendingConnection(socket);
    }
};

// Many idle connections need many descriptors: use the hard limit (Node does the same at startup).
void raiseDescriptorLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// The benchmark handlers, installed on one Server (or on each worker's).
void installHandlers(SocketIo::Server *io)
{
    QObject::connect(io, &SocketIo::Server::connection, io, [io](SocketIo::Socket *socket) {
        socket->on(u"echo"_s, socket, [socket](const SocketIo::Message &m) {
            if (m.needsAck())
                m.ack(m.args());
            else
                socket->emitEvent(u"echo"_s, m.args());
        });
        socket->on(u"join"_s, socket, [socket](const SocketIo::Message &m) {
            socket->join(m.args().at(0).toString());
            m.ack({QCborMap{{u"ok"_s, true}}});
        });
        socket->on(u"leave"_s, socket, [socket](const SocketIo::Message &m) {
            socket->leave(m.args().at(0).toString());
            m.ack({QCborMap{{u"ok"_s, true}}});
        });
        socket->on(u"broadcast"_s, socket, [io](const SocketIo::Message &m) {
            const QCborArray args = m.args();
            io->to(args.at(0).toString()).emitEvent(u"broadcast"_s, {args.at(1)});
            if (m.needsAck())
                m.ack({QCborMap{{u"ok"_s, true}}});
        });
    });
}

} // namespace

int main(int argc, char *argv[])
{
    raiseDescriptorLimit();
    const EventDispatcherChoice dispatcherChoice = EventDispatcherChoice::install(argc, argv);
    // Qt's own UNIX event dispatcher rather than GLib's (Debian's default): with many sockets GLib's
    // linear notifier lists cost about half the CPU of a connection (docs/benchmarks.md, item 1).
    // An explicit QT_NO_GLIB wins: QT_NO_GLIB= (set, empty) keeps the GLib dispatcher.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"bench-server"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"libsocketio benchmark server (echo, join, leave, broadcast)"_s);
    parser.addHelpOption();
    const QCommandLineOption portOption(u"port"_s, u"TCP port (default 3000, 0 picks one)."_s, u"port"_s, u"3000"_s);
    const QCommandLineOption hostOption(u"host"_s, u"Address to listen on (default 127.0.0.1)."_s, u"host"_s,
                                        u"127.0.0.1"_s);
    const QCommandLineOption recoveryOption(u"recovery"_s, u"Turn connection state recovery on (off by default)."_s);
    const QCommandLineOption backlogOption(
            u"backlog"_s,
            u"Listen backlog of the engine's QTcpServer (the library's default is 511, like Node's)."_s,
            u"n"_s);
    const QCommandLineOption noDelayOption(
            u"nodelay"_s, u"Accept connections in bench-server and set TCP_NODELAY there (the library now does it "
                         "itself; kept for comparison)."_s);
    parser.addOption(portOption);
    parser.addOption(backlogOption);
    parser.addOption(noDelayOption);
    parser.addOption(hostOption);
    parser.addOption(recoveryOption);
    const QCommandLineOption workersOption(
            u"workers"_s, u"Event-loop worker threads sharing the port (default 1: one plain Server)."_s, u"n"_s, u"1"_s);
    parser.addOption(workersOption);
    const QCommandLineOption dispatcherOption(
            u"event-dispatcher"_s,
            u"epoll: SocketIo::EpollEventDispatcher (default on Linux; workers inherit it); qt: Qt's UNIX dispatcher."_s,
            u"name"_s);
    parser.addOption(dispatcherOption);
    parser.process(app);
    if (!dispatcherChoice.isValid()) {
        QTextStream(stderr) << "invalid --event-dispatcher " << dispatcherChoice.name << '\n';
        return 2;
    }

    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    const QString host = parser.value(hostOption);
    const QHostAddress address = host == "localhost"_L1 ? QHostAddress(QHostAddress::LocalHost)
                                 : host == "any"_L1     ? QHostAddress(QHostAddress::Any)
                                                        : QHostAddress(host);
    if (!portOk || port > 65535 || address.isNull()) {
        QTextStream(stderr) << "invalid --port or --host\n";
        return 2;
    }

    SocketIo::ServerOptions options;
    options.connectionStateRecovery.enabled = parser.isSet(recoveryOption);
    bool workersOk = false;
    const int workerCount = parser.value(workersOption).toInt(&workersOk);
    if (!workersOk || workerCount < 1) {
        QTextStream(stderr) << "invalid --workers\n";
        return 2;
    }
    if (workerCount > 1) {
        SocketIo::ServerWorkers workers(workerCount, options,
                                        [](SocketIo::Server *io, int) { installHandlers(io); });
        if (!workers.listen(address, quint16(port))) {
            QTextStream(stderr) << "cannot listen on " << host << ':' << port << '\n';
            return 1;
        }
        const QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
        QTextStream(stdout) << "{\"event\":\"listening\",\"port\":" << workers.serverPort()
                            << ",\"workers\":" << workerCount << ",\"dispatcher\":\""
                            << (dispatcher ? dispatcher->metaObject()->className() : "none") << "\"}" << Qt::endl;
        return app.exec();
    }
    // With --backlog or --nodelay the engine is created here so that its listening socket can be
    // tuned first (declared before the server, which refers to it until destroyed; the accepting
    // server of --nodelay, which parents the sockets, outlives both).
    NoDelayTcpServer tuned;
    SocketIo::EngineServer engine;
    SocketIo::Server io(options);

    installHandlers(&io);

    bool listening = false;
    if (parser.isSet(noDelayOption)) {
        engine.setOptions(options);
        if (parser.isSet(backlogOption))
            tuned.setListenBacklogSize(parser.value(backlogOption).toInt());
        QObject::connect(&tuned, &QTcpServer::newConnection, &engine, [&tuned, &engine] {
            while (QTcpSocket *socket = tuned.nextPendingConnection())
                engine.handleConnection(socket);
        });
        listening = io.attach(&engine) && tuned.listen(address, quint16(port));
    } else if (parser.isSet(backlogOption)) {
        engine.setOptions(options);
        if (auto *tcp = engine.findChild<QTcpServer *>())
            tcp->setListenBacklogSize(parser.value(backlogOption).toInt());
        listening = io.attach(&engine) && engine.listen(address, quint16(port));
    } else {
        listening = io.listen(address, quint16(port));
    }
    if (!listening) {
        QTextStream(stderr) << "cannot listen on " << host << ':' << port << '\n';
        return 1;
    }
    const quint16 actualPort = tuned.isListening() ? tuned.serverPort() : io.serverPort();
    const QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
    QTextStream(stdout) << "{\"event\":\"listening\",\"port\":" << actualPort << ",\"dispatcher\":\""
                        << (dispatcher ? dispatcher->metaObject()->className() : "none") << "\"}" << Qt::endl;
    return app.exec();
}
