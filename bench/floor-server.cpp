// The floor of a Qt server: plain QtWebSockets (QTcpServer + QWebSocketServer::handleConnection,
// as libsocketio does) with no Engine.IO or Socket.IO layer, answering just enough of the protocol
// for bench-load's WebSocket scenarios (connect, echo, fanout) by string handling:
//   open packet on connect, "40" -> "40{"sid":...}", echo (ack or emit back), join/leave acked
//   {"ok":true}, broadcast(room, payload) forwarded as text to the room's members.
// No heartbeats, no packet validation, no binary, no long-polling: it is not a server anyone should
// run. It measures what QtWebSockets alone costs per connection, per message and per delivery on
// this machine, so docs/benchmarks.md can say how much of libsocketio's numbers is Qt's floor and
// which of issue #6's targets that floor already rules out. bench/node/floor-server.js is the same
// for Node's ws (the WebSocket library under socket.io).
// Prints {"event":"listening","port":N} on stdout once it accepts connections.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTextStream>
#include <QWebSocket>
#include <QWebSocketServer>

#include <sys/resource.h>

using namespace Qt::StringLiterals;

namespace {

class FloorServer : public QObject
{
public:
    bool listen(quint16 port)
    {
        connect(&m_ws, &QWebSocketServer::newConnection, this, &FloorServer::onWebSocket);
        connect(&m_tcp, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_tcp.nextPendingConnection()) {
                socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                m_ws.handleConnection(socket);
            }
        });
        m_tcp.setListenBacklogSize(511);
        return m_tcp.listen(QHostAddress::LocalHost, port);
    }
    quint16 port() const { return m_tcp.serverPort(); }

private:
    struct Peer
    {
        QString sid;
        QStringList rooms;
    };

    void onWebSocket()
    {
        while (QWebSocket *ws = m_ws.nextPendingConnection()) {
            Peer &peer = m_peers[ws];
            peer.sid = u"%1"_s.arg(++m_counter, 20, 10, QLatin1Char('0'));
            connect(ws, &QWebSocket::textMessageReceived, this,
                    [this, ws](const QString &text) { onText(ws, text); });
            connect(ws, &QWebSocket::disconnected, this, [this, ws] {
                const Peer peer = m_peers.take(ws);
                for (const QString &room : peer.rooms) {
                    auto it = m_rooms.find(room);
                    if (it != m_rooms.end()) {
                        it->removeOne(ws);
                        if (it->isEmpty())
                            m_rooms.erase(it);
                    }
                }
                ws->deleteLater();
            });
            ws->sendTextMessage(u"0{\"sid\":\""_s + peer.sid
                                + u"\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
                                  "\"maxPayload\":1000000}"_s);
        }
    }

    void onText(QWebSocket *ws, const QString &text)
    {
        const QStringView t(text);
        if (t.startsWith(u"40")) {
            ws->sendTextMessage(u"40{\"sid\":\"x"_s + m_peers.value(ws).sid + u"\"}"_s);
            return;
        }
        if (!t.startsWith(u"42"))
            return;   // pongs and everything else
        // 42[<ack id>]["<event>",<arguments>]
        qsizetype i = 2;
        while (i < t.size() && t[i].isDigit())
            ++i;
        const QStringView ackId = t.sliced(2, i - 2);
        if (i + 2 >= t.size() || t[i] != u'[' || t[i + 1] != u'"' || !t.endsWith(u']'))
            return;
        const qsizetype nameEnd = t.indexOf(u'"', i + 2);
        if (nameEnd < 0)
            return;
        const QStringView event = t.sliced(i + 2, nameEnd - i - 2);
        // the arguments' text, without the array's brackets
        const QStringView args = nameEnd + 2 < t.size() ? t.sliced(nameEnd + 2, t.size() - nameEnd - 3)
                                                        : QStringView();
        const auto ackOk = [&] {
            if (!ackId.isEmpty())
                ws->sendTextMessage(u"43"_s + ackId + u"[{\"ok\":true}]"_s);
        };
        if (event == u"echo") {
            if (!ackId.isEmpty())
                ws->sendTextMessage(u"43"_s + ackId + u'[' + args + u']');
            else
                ws->sendTextMessage(u"42[\"echo\","_s + args + u']');
        } else if (event == u"join" || event == u"leave") {
            if (args.size() < 2 || !args.startsWith(u'"') || !args.endsWith(u'"')) {
                ackOk();   // not a plain string: nothing to join (as the Node floor)
                return;
            }
            const QString room = args.sliced(1, args.size() - 2).toString();
            Peer &peer = m_peers[ws];
            if (event == u"join" && !peer.rooms.contains(room)) {
                m_rooms[room].append(ws);
                peer.rooms.append(room);
            } else if (event == u"leave" && peer.rooms.removeOne(room)) {
                auto it = m_rooms.find(room);
                it->removeOne(ws);
                if (it->isEmpty())
                    m_rooms.erase(it);
            }
            ackOk();
        } else if (event == u"broadcast") {
            const qsizetype roomEnd = args.indexOf(u"\",");
            if (roomEnd < 1)
                return;
            const QString room = args.sliced(1, roomEnd - 1).toString();
            const QString message = u"42[\"broadcast\","_s + args.sliced(roomEnd + 2) + u']';
            for (QWebSocket *member : m_rooms.value(room))
                member->sendTextMessage(message);
            ackOk();
        }
    }

    QTcpServer m_tcp;
    QWebSocketServer m_ws{u"floor"_s, QWebSocketServer::NonSecureMode};
    QHash<QWebSocket *, Peer> m_peers;
    QHash<QString, QList<QWebSocket *>> m_rooms;
    quint64 m_counter = 0;
};

} // namespace

int main(int argc, char **argv)
{
    // the same event dispatcher as bench-server (Qt's own, not GLib's)
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Plain QtWebSockets floor for bench-load's WebSocket scenarios"_s);
    parser.addHelpOption();
    const QCommandLineOption portOption(u"port"_s, u"TCP port (0: any free port)."_s, u"port"_s, u"0"_s);
    parser.addOption(portOption);
    parser.process(app);

    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    FloorServer server;
    if (!server.listen(quint16(parser.value(portOption).toUInt()))) {
        QTextStream(stderr) << "cannot listen\n";
        return 1;
    }
    QTextStream(stdout) << "{\"event\":\"listening\",\"port\":" << server.port() << "}" << Qt::endl;
    return app.exec();
}
