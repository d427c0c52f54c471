// socket.io's per-emit compress flag on the server (Socket::NoCompress, BroadcastOperator::
// compress(false)): every Engine.IO message of such a packet asks for no HTTP compression, and a
// polling response is compressed only when at least one of its packets asks for it (engine.io's
// polling transport). Checked with a raw long-polling peer that accepts gzip.
#include "gzippollingpeer.h"
#include "siotesthelpers.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QPointer>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::AckReply;
using SocketIo::Namespace;
using SocketIo::Server;
using SocketIo::Socket;
using SocketIo::Test::GzipPollingPeer;

namespace {

/*! A string argument large enough to pass httpCompression's threshold (1024 bytes) alone. */
QString bigText()
{
    QString text;
    for (int i = 0; text.size() < 3000; ++i)
        text += u"compressible text %1 "_s.arg(i);
    return text;
}

QByteArray bigBytes()
{
    QByteArray bytes(2000, Qt::Uninitialized);
    for (int i = 0; i < bytes.size(); ++i)
        bytes[i] = char(i % 13);
    return bytes;
}

} // namespace

class tst_ServerCompress : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { sioRegisterMetaTypes(); }
    void cleanup();

    void socketEmitHonoursNoCompress_data();
    void socketEmitHonoursNoCompress();
    void payloadIsCompressedWhenOnePacketAsks_data();
    void payloadIsCompressedWhenOnePacketAsks();
    void broadcastHonoursCompressFalse_data();
    void broadcastHonoursCompressFalse();

private:
    /*! A server (engine.io's default heartbeat: no ping lands in the payloads under test;
        \a recovery: connection state recovery, whose emits go through the adapter). */
    bool start(bool recovery);
    /*! Opens \a peer and returns the server's socket for it. */
    Socket *connectPeer(GzipPollingPeer &peer);

    std::unique_ptr<Server> m_io;
};

void tst_ServerCompress::cleanup()
{
    m_io.reset();
}

bool tst_ServerCompress::start(bool recovery)
{
    SocketIo::ServerOptions options;
    options.connectionStateRecovery.enabled = recovery;
    m_io = sioStartServer(options);
    return m_io != nullptr;
}

Socket *tst_ServerCompress::connectPeer(GzipPollingPeer &peer)
{
    QSignalSpy connections(m_io->of(u"/"_s), &Namespace::connection);
    if (!peer.open(m_io->serverPort()))
        return nullptr;
    if (connections.isEmpty() && !connections.wait(5000))
        return nullptr;
    return connections.at(0).at(0).value<Socket *>();
}

void tst_ServerCompress::socketEmitHonoursNoCompress_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<bool>("recovery");
    QTest::addColumn<QByteArray>("prefix");     // of the payload
    QTest::addColumn<QByteArray>("expected");   // Content-Encoding, empty: none
    QTest::newRow("emit") << u"emit"_s << false << QByteArray(R"(42["big",")") << QByteArray("gzip");
    QTest::newRow("emit, NoCompress") << u"emit nocompress"_s << false << QByteArray(R"(42["big",")") << QByteArray();
    QTest::newRow("binary emit") << u"binary"_s << false << QByteArray(R"(451-["big",")") << QByteArray("gzip");
    QTest::newRow("binary emit, NoCompress") << u"binary nocompress"_s << false << QByteArray(R"(451-["big",")") << QByteArray();
    QTest::newRow("emitWithAck") << u"ack"_s << false << QByteArray(R"(420["big",")") << QByteArray("gzip");
    QTest::newRow("emitWithAck, NoCompress") << u"ack nocompress"_s << false << QByteArray(R"(420["big",")") << QByteArray();
    QTest::newRow("volatile emit, NoCompress") << u"volatile nocompress"_s << false << QByteArray(R"(42["big",")") << QByteArray();
    // with connection state recovery a plain emit goes through the adapter (offset appended)
    QTest::newRow("recovery: emit") << u"emit"_s << true << QByteArray(R"(42["big",")") << QByteArray("gzip");
    QTest::newRow("recovery: emit, NoCompress") << u"emit nocompress"_s << true << QByteArray(R"(42["big",")") << QByteArray();
}

void tst_ServerCompress::socketEmitHonoursNoCompress()
{
    QFETCH(QString, how);
    QFETCH(bool, recovery);
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, expected);
    QVERIFY(start(recovery));
    GzipPollingPeer peer;
    QPointer<Socket> socket = connectPeer(peer);
    QVERIFY(socket);
    const QString big = bigText();
    const Socket::EmitFlags flags = how.contains(u"nocompress"_s) ? Socket::NoCompress : Socket::NoFlags;
    QPointer<AckReply> reply;
    bool parked = false;
    if (how.startsWith(u"binary"_s)) {
        QVERIFY(socket->emitEvent(u"big"_s, {big, bigBytes()}, flags));
    } else if (how.startsWith(u"ack"_s)) {
        reply = socket->emitWithAck(u"big"_s, {big}, 5s, flags);
    } else if (how.startsWith(u"volatile"_s)) {
        // a volatile packet is only written while the transport can take it: a parked GET
        QVERIFY(!socket->emitEvent(u"dropped"_s, {big}, flags | Socket::Volatile));
        peer.sendPoll();
        QTRY_VERIFY(socket->conn()->isWritable());
        QVERIFY(socket->emitEvent(u"big"_s, {big}, flags | Socket::Volatile));
        parked = true;
    } else {
        QVERIFY(socket->emitEvent(u"big"_s, {big}, flags));
    }
    const RawHttpResponse r = parked ? peer.waitPoll() : peer.poll();
    delete reply.data();
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-encoding"), expected);
    const QByteArray payload = GzipPollingPeer::payload(r);
    QVERIFY2(payload.startsWith(prefix), payload.left(40).constData());
    QVERIFY(payload.contains(big.toUtf8()));
    if (how.startsWith(u"binary"_s))
        QVERIFY(payload.endsWith(QByteArray(QByteArray("\x1e" "b") + bigBytes().toBase64())));
}

void tst_ServerCompress::payloadIsCompressedWhenOnePacketAsks_data()
{
    // What the server queues before the GET, in order: a big emit with NoCompress and a small
    // one (too small to pass the threshold alone), with or without compress
    QTest::addColumn<bool>("smallFirst");
    QTest::addColumn<bool>("smallCompress");
    QTest::addColumn<bool>("smallIsBroadcast");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("no compress, then a small default emit") << false << true << false << QByteArray("gzip");
    QTest::newRow("a small default emit, then no compress") << true << true << false << QByteArray("gzip");
    QTest::newRow("no compress, then a small default broadcast") << false << true << true << QByteArray("gzip");
    QTest::newRow("both without compress") << false << false << false << QByteArray();
    QTest::newRow("both without compress, the small one broadcast") << true << false << true << QByteArray();
}

void tst_ServerCompress::payloadIsCompressedWhenOnePacketAsks()
{
    QFETCH(bool, smallFirst);
    QFETCH(bool, smallCompress);
    QFETCH(bool, smallIsBroadcast);
    QFETCH(QByteArray, expected);
    QVERIFY(start(false));
    GzipPollingPeer peer;
    Socket *socket = connectPeer(peer);
    QVERIFY(socket);
    const QString big = bigText();
    auto sendSmall = [&] {
        if (smallIsBroadcast)
            QVERIFY(m_io->compress(smallCompress).emitEvent(u"small"_s, {1}));
        else
            QVERIFY(socket->emitEvent(u"small"_s, {1}, smallCompress ? Socket::NoFlags : Socket::NoCompress));
    };
    if (smallFirst)
        sendSmall();
    QVERIFY(socket->emitEvent(u"big"_s, {big}, Socket::NoCompress));
    if (!smallFirst)
        sendSmall();
    const RawHttpResponse r = peer.poll();
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-encoding"), expected);
    const QByteArray bigRecord = R"(42["big",")" + big.toUtf8() + R"("])";
    const QByteArray smallRecord = R"(42["small",1])";
    const QByteArray payload = GzipPollingPeer::payload(r);
    QCOMPARE(payload, smallFirst ? smallRecord + '\x1e' + bigRecord : bigRecord + '\x1e' + smallRecord);
}

void tst_ServerCompress::broadcastHonoursCompressFalse_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<bool>("recovery");
    QTest::addColumn<QByteArray>("expected");   // Content-Encoding, empty: none
    QTest::newRow("io.emit") << u"io"_s << false << QByteArray("gzip");
    QTest::newRow("io.compress(false).emit") << u"io nocompress"_s << false << QByteArray();
    QTest::newRow("io.compress(false).compress(true).emit") << u"io nocompress recompress"_s << false << QByteArray("gzip");
    QTest::newRow("io.to(room).emit") << u"room"_s << false << QByteArray("gzip");
    QTest::newRow("io.to(room).compress(false).emit") << u"room nocompress"_s << false << QByteArray();
    QTest::newRow("nsp.compress(false).emit") << u"nsp nocompress"_s << false << QByteArray();
    QTest::newRow("socket.broadcast.compress(false).emit") << u"sender nocompress"_s << false << QByteArray();
    QTest::newRow("socket.broadcast.emit") << u"sender"_s << false << QByteArray("gzip");
    QTest::newRow("io.compress(false) binary") << u"io binary nocompress"_s << false << QByteArray();
    QTest::newRow("io.compress(false).timeout().emitWithAck") << u"io ack nocompress"_s << false << QByteArray();
    QTest::newRow("io.timeout().emitWithAck") << u"io ack"_s << false << QByteArray("gzip");
    // the session-aware adapter logs the packet with its offset, then writes it
    QTest::newRow("recovery: io.compress(false).emit") << u"io nocompress"_s << true << QByteArray();
    QTest::newRow("recovery: io.emit") << u"io"_s << true << QByteArray("gzip");
}

void tst_ServerCompress::broadcastHonoursCompressFalse()
{
    QFETCH(QString, how);
    QFETCH(bool, recovery);
    QFETCH(QByteArray, expected);
    QVERIFY(start(recovery));
    // two polling members of "room"; in the "sender" rows b emits to everyone else
    GzipPollingPeer a;
    GzipPollingPeer b;
    Socket *sa = connectPeer(a);
    QVERIFY(sa);
    Socket *sb = connectPeer(b);
    QVERIFY(sb);
    sa->join(u"room"_s);
    sb->join(u"room"_s);
    const bool compress = !how.contains(u"nocompress"_s);
    SocketIo::BroadcastOperator op = m_io->sockets()->all();
    if (how.startsWith(u"room"_s))
        op = m_io->to(u"room"_s);
    else if (how.startsWith(u"sender"_s))
        op = sb->broadcast();
    else if (how.startsWith(u"nsp"_s))
        op = m_io->of(u"/"_s)->all();
    if (!compress)
        op = how.startsWith(u"nsp"_s) ? m_io->of(u"/"_s)->compress(false) : op.compress(false);
    if (how.contains(u"recompress"_s))
        op = op.compress(true);
    const QString big = bigText();
    QPointer<AckReply> reply;
    if (how.contains(u"binary"_s))
        QVERIFY(op.emitEvent(u"big"_s, {big, bigBytes()}));
    else if (how.contains(u"ack"_s))
        reply = op.timeout(5s).emitWithAck(u"big"_s, {big});
    else
        QVERIFY(op.emitEvent(u"big"_s, {big}));
    const QList<GzipPollingPeer *> receivers = how.startsWith(u"sender"_s)
        ? QList<GzipPollingPeer *>{&a} : QList<GzipPollingPeer *>{&a, &b};
    for (GzipPollingPeer *peer : receivers) {
        const RawHttpResponse r = peer->poll();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("content-encoding"), expected);
        const QByteArray payload = GzipPollingPeer::payload(r);
        QVERIFY(payload.contains(QByteArray(QByteArray(R"(["big",")") + big.toUtf8())));
    }
    delete reply.data();
}

QTEST_GUILESS_MAIN(tst_ServerCompress)
#include "tst_server_compress.moc"
