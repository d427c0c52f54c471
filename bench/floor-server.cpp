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
// --raw-websocket: the same protocol handling over a minimal server-side WebSocket written on
// QTcpSocket (RFC 6455 handshake, masked client frames, text/ping/pong/close; no extensions, no
// fragmented messages), without QtWebSockets. It bounds what libsocketio could reach with its own
// server-side WebSocket (the proposal in docs/benchmarks.md, "Floors"); it is not that implementation.
// Prints {"event":"listening","port":N} on stdout once it accepts connections.
#include "eventdispatcherchoice.h"

#include <QAbstractEventDispatcher>
#include <QCommandLineParser>
#include <QCryptographicHash>
#include <QCoreApplication>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QStringDecoder>
#include <QTextStream>
#include <QWebSocket>
#include <QWebSocketServer>

#include <functional>

#include <sys/resource.h>

using namespace Qt::StringLiterals;

namespace {

// One client connection, whichever WebSocket carries it.
class Link
{
public:
    virtual ~Link() = default;
    virtual void sendText(const QString &text) = 0;
};

class QtLink final : public Link
{
public:
    explicit QtLink(QWebSocket *ws) : m_ws(ws) { }
    void sendText(const QString &text) override { m_ws->sendTextMessage(text); }

private:
    QWebSocket *m_ws;
};

// The minimal server-side WebSocket of --raw-websocket, on the accepted QTcpSocket.
class RawLink final : public QObject, public Link
{
public:
    std::function<void(RawLink *)> opened;
    std::function<void(RawLink *, const QString &)> textReceived;
    std::function<void(RawLink *)> closed;

    explicit RawLink(QTcpSocket *socket) : m_socket(socket)
    {
        socket->setParent(this);
        connect(socket, &QTcpSocket::readyRead, this, &RawLink::onReadyRead);
        connect(socket, &QTcpSocket::disconnected, this, &RawLink::finish);
    }

    void sendText(const QString &text) override { writeFrame(0x1, text.toUtf8()); }

private:
    void writeFrame(quint8 opcode, const QByteArray &payload)
    {
        char header[10];
        int n = 0;
        header[n++] = char(0x80 | opcode);
        const qsizetype size = payload.size();
        if (size < 126) {
            header[n++] = char(size);
        } else if (size < 65536) {
            header[n++] = char(126);
            header[n++] = char(size >> 8);
            header[n++] = char(size & 0xff);
        } else {
            header[n++] = char(127);
            for (int shift = 56; shift >= 0; shift -= 8)
                header[n++] = char((quint64(size) >> shift) & 0xff);
        }
        QByteArray frame;
        frame.reserve(n + size);
        frame.append(header, n).append(payload);
        if (m_socket->write(frame) < 0)
            fail();
    }

    void onReadyRead()
    {
        // Exactly what arrived, in small reads (readAll() would keep a 32 KB capacity per
        // connection). (Opening the socket QIODevice::Unbuffered made no difference: Qt 6.4 still
        // buffers a TCP socket's reads and writes.)
        char chunk[4096];
        qint64 got = 0;
        while ((got = m_socket->read(chunk, sizeof chunk)) > 0)
            m_buffer.append(chunk, got);
        if (got < 0 || m_socket->state() != QAbstractSocket::ConnectedState) {
            fail();
            return;
        }
        if (!m_announced && !readHandshake())
            return;
        while (m_open && readFrame()) { }
    }

    bool readHandshake()
    {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            if (m_buffer.size() > 8192)
                m_socket->abort();
            return false;
        }
        QByteArray key;
        for (const QByteArray &line : m_buffer.first(end).split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.first(colon).trimmed().compare("sec-websocket-key", Qt::CaseInsensitive) == 0)
                key = line.sliced(colon + 1).trimmed();
        }
        m_buffer.remove(0, end + 4);
        if (m_buffer.isEmpty())
            m_buffer = QByteArray();
        if (key.isEmpty()) {
            m_socket->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            m_socket->disconnectFromHost();
            return false;
        }
        key += "258EAFA5-E914-47DA-95CA-C5AB0DC11B11";
        const QByteArray accept = QCryptographicHash::hash(key, QCryptographicHash::Sha1).toBase64();
        m_socket->write(QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Accept: ")
                        + accept + "\r\n\r\n");
        m_open = true;
        m_announced = true;
        opened(this);
        return true;
    }

    // One complete frame off the buffer, false when more bytes are needed (or the link closed).
    bool readFrame()
    {
        const auto *p = reinterpret_cast<const quint8 *>(m_buffer.constData());
        const qsizetype have = m_buffer.size();
        if (have < 2)
            return false;
        const bool fin = p[0] & 0x80;
        const quint8 opcode = p[0] & 0x0f;
        if (!(p[1] & 0x80) || !fin) {   // unmasked client frame, or a fragment: not handled here
            fail();
            return false;
        }
        quint64 size = p[1] & 0x7f;
        qsizetype pos = 2;
        if (size == 126) {
            if (have < 4)
                return false;
            size = (quint64(p[2]) << 8) | p[3];
            pos = 4;
        } else if (size == 127) {
            if (have < 10)
                return false;
            size = 0;
            for (int i = 0; i < 8; ++i)
                size = (size << 8) | p[2 + i];
            pos = 10;
        }
        if (size > 1000000) {
            fail();
            return false;
        }
        if (quint64(have - pos) < 4 + size)
            return false;
        const quint8 *mask = p + pos;
        pos += 4;
        QByteArray payload(m_buffer.constData() + pos, qsizetype(size));
        for (qsizetype i = 0; i < payload.size(); ++i)
            payload[i] = char(payload[i] ^ mask[i % 4]);
        m_buffer.remove(0, pos + qsizetype(size));
        if (m_buffer.isEmpty())
            m_buffer = QByteArray();   // an idle connection holds no buffer
        switch (opcode) {
        case 0x1: {
            QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
            const QString text = decoder(payload);
            if (decoder.hasError()) {
                fail();
                return false;
            }
            textReceived(this, text);
            return true;
        }
        case 0x8:
            m_open = false;   // nothing after a close frame is read
            writeFrame(0x8, payload.first(qMin<qsizetype>(payload.size(), 2)));
            m_socket->disconnectFromHost();
            return false;
        case 0x9:
            writeFrame(0xA, payload);
            return true;
        case 0xA:
            return true;
        default:
            fail();
            return false;
        }
    }

    void fail()
    {
        m_socket->abort();
        finish();
    }

    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        if (m_announced)
            closed(this);
        deleteLater();
    }

    QTcpSocket *m_socket;
    QByteArray m_buffer;
    bool m_open = false;        // the handshake is done and frames are read
    bool m_announced = false;   // opened() was called: closed() follows
    bool m_finished = false;
};

class FloorServer : public QObject
{
public:
    explicit FloorServer(bool rawWebSocket) : m_raw(rawWebSocket) { }

    bool listen(quint16 port)
    {
        connect(&m_ws, &QWebSocketServer::newConnection, this, &FloorServer::onWebSocket);
        connect(&m_tcp, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_tcp.nextPendingConnection()) {
                socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                if (m_raw)
                    acceptRaw(socket);
                else
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
            auto *l = new QtLink(ws);   // a RawLink is its own link; this one wraps the QWebSocket
            opened(l);
            connect(ws, &QWebSocket::textMessageReceived, this,
                    [this, l](const QString &text) { onText(l, text); });
            connect(ws, &QWebSocket::disconnected, this, [this, l, ws] {
                closed(l);
                delete l;
                ws->deleteLater();
            });
        }
    }

    void acceptRaw(QTcpSocket *socket)
    {
        auto *link = new RawLink(socket);
        link->setParent(this);
        link->opened = [this](RawLink *l) { opened(l); };
        link->textReceived = [this](RawLink *l, const QString &text) { onText(l, text); };
        link->closed = [this](RawLink *l) { closed(l); };
    }

    Peer &opened(Link *link)
    {
        Peer &peer = m_peers[link];
        peer.sid = u"%1"_s.arg(++m_counter, 20, 10, QLatin1Char('0'));
        link->sendText(u"0{\"sid\":\""_s + peer.sid
                       + u"\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
                         "\"maxPayload\":1000000}"_s);
        return peer;
    }

    void closed(Link *link)
    {
        const Peer peer = m_peers.take(link);
        for (const QString &room : peer.rooms) {
            auto it = m_rooms.find(room);
            if (it != m_rooms.end()) {
                it->removeOne(link);
                if (it->isEmpty())
                    m_rooms.erase(it);
            }
        }
    }

    void onText(Link *ws, const QString &text)
    {
        const QStringView t(text);
        if (t.startsWith(u"40")) {
            ws->sendText(u"40{\"sid\":\"x"_s + m_peers.value(ws).sid + u"\"}"_s);
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
                ws->sendText(u"43"_s + ackId + u"[{\"ok\":true}]"_s);
        };
        if (event == u"echo") {
            if (!ackId.isEmpty())
                ws->sendText(u"43"_s + ackId + u'[' + args + u']');
            else
                ws->sendText(u"42[\"echo\","_s + args + u']');
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
            for (Link *member : m_rooms.value(room))
                member->sendText(message);
            ackOk();
        }
    }

    const bool m_raw;
    QTcpServer m_tcp;
    QWebSocketServer m_ws{u"floor"_s, QWebSocketServer::NonSecureMode};
    QHash<Link *, Peer> m_peers;
    QHash<QString, QList<Link *>> m_rooms;
    quint64 m_counter = 0;
};

} // namespace

int main(int argc, char **argv)
{
    // The same event dispatcher as bench-server: SocketIo::EpollEventDispatcher on Linux, or with
    // --event-dispatcher qt Qt's own UNIX one (not GLib's). Chosen before the application exists.
    const EventDispatcherChoice dispatcherChoice = EventDispatcherChoice::install(argc, argv);
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Plain QtWebSockets floor for bench-load's WebSocket scenarios"_s);
    parser.addHelpOption();
    const QCommandLineOption portOption(u"port"_s, u"TCP port (0: any free port)."_s, u"port"_s, u"0"_s);
    parser.addOption(portOption);
    const QCommandLineOption rawOption(u"raw-websocket"_s,
                                       u"Speak WebSocket by hand on QTcpSocket instead of QtWebSockets."_s);
    parser.addOption(rawOption);
    const QCommandLineOption dispatcherOption(
            u"event-dispatcher"_s, u"epoll (default on Linux, as bench-server) or qt (Qt's UNIX dispatcher)."_s, u"name"_s);
    parser.addOption(dispatcherOption);
    parser.process(app);
    if (!dispatcherChoice.isValid()) {
        QTextStream(stderr) << "invalid --event-dispatcher " << dispatcherChoice.name << '\n';
        return 2;
    }

    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    FloorServer server(parser.isSet(rawOption));
    if (!server.listen(quint16(parser.value(portOption).toUInt()))) {
        QTextStream(stderr) << "cannot listen\n";
        return 1;
    }
    const QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
    QTextStream(stdout) << "{\"event\":\"listening\",\"port\":" << server.port() << ",\"dispatcher\":\""
                        << (dispatcher ? dispatcher->metaObject()->className() : "none") << "\"}" << Qt::endl;
    return app.exec();
}
