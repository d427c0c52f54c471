// Engine.IO server resource limits against hostile or stalled peers over loopback: what a peer
// that does not read, does not poll or does not finish its requests may cost, and that every
// such peer is cut off without disturbing another client's session on the same server.
#include "rawhttpclient.h"

#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/server.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QWebSocket>

#include <QRegularExpression>

#include <memory>

#ifdef Q_OS_UNIX
#  include <sys/socket.h>
#endif

using namespace SocketIo;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// The server's limits (engineserver_p.h), restated: the test checks their effect from outside.
constexpr qint64 WriteBacklogLimit = 64 * 1024;
constexpr int CloseTimeoutMs = 5000;

/*! A TCP connection to the engine whose server-side socket the test can watch: accepted here,
    with a small kernel send buffer so that a peer that stops reading fills Qt's write buffer
    quickly, and handed to EngineServer::handleConnection(). */
struct Pipe
{
    std::unique_ptr<QTcpSocket> client = std::make_unique<QTcpSocket>();
    QPointer<QTcpSocket> server;
};

/*! A client of the same server that must not notice any of the attacks. */
struct Bystander
{
    RawHttpClient http;
    QString sid;
    QByteArray path;
};

QByteArray pollingTarget(const QByteArray &path, const QString &sid)
{
    return path + "?EIO=4&transport=polling&sid=" + sid.toLatin1();
}

QString handshake(RawHttpClient &client, const QByteArray &path = "/engine.io/")
{
    const RawHttpResponse r = client.request("GET", path + "?EIO=4&transport=polling");
    if (r.status != 200 || !r.body.startsWith('0'))
        return {};
    return QJsonDocument::fromJson(r.body.mid(1)).object().value(u"sid"_s).toString();
}

/*! Engine-level WebSocket handshake sent by hand, so that the peer is a plain QTcpSocket that
    can stop reading. */
QByteArray webSocketHandshake()
{
    return "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

} // namespace

class tst_EngineLimits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void pollingPeerThatNeverPollsIsClosedAtTheBufferLimit_data();
    void pollingPeerThatNeverPollsIsClosedAtTheBufferLimit();
    void pollingBurstOverTheLimitIsKeptForAPeerThatPolls();
    void webSocketIsNotWritableWhileAWriteIsPending();
    void webSocketBurstOverTheLimitReachesAPeerThatReads();
    void webSocketSlowReaderOverTheLimitIsNotStalled();
    void webSocketPeerThatStopsReadingIsClosedAtTheBufferLimit_data();
    void webSocketPeerThatStopsReadingIsClosedAtTheBufferLimit();
    void webSocketPeerThatPingsAndNeverReadsIsDroppedAtTheCeiling();
    void webSocketFramesOfOnePassArriveInOrder_data();
    void webSocketFramesOfOnePassArriveInOrder();
    void webSocketPeerGoneBeforeTheWriteClosesOnlyItsSession();
    void replyToAMessageBesideThePeersCloseLeavesBeforeTheCloseFrame();
    void stalledRequestBodyIsAborted_data();
    void stalledRequestBodyIsAborted();
    void pipelinedRequestsWaitWhileResponsesAreUnread();
    void unreadLastResponseIsDropped();
    void packetsAfterCloseInTheSamePostAreDropped();
    void refusedPostDoesNotHoldThePostSlot_data();
    void refusedPostDoesNotHoldThePostSlot();

private:
    EngineServer *startServer(const EngineOptions &options = {});
    bool openPipe(Pipe &pipe, EngineServer *server);
    /*! Opens \a peer on m_server's WebSocket endpoint; the session, or null. */
    EngineSession *openWebSocket(QWebSocket &peer);
    /*! Connects \a peer to m_server and sends the WebSocket handshake by hand, so that the test can
        stop reading or write raw frames; the session, or null. */
    EngineSession *openRawWebSocket(QTcpSocket &peer);
    void startBystander(Bystander &b, EngineServer *server, const QByteArray &path = "/engine.io/");
    void checkBystander(Bystander &b, EngineServer *server, bool socketIo = false);

    std::unique_ptr<EngineServer> m_server;
};

void tst_EngineLimits::initTestCase()
{
    qRegisterMetaType<SocketIo::EngineSession *>();
}

void tst_EngineLimits::cleanup()
{
    m_server.reset();
}

EngineServer *tst_EngineLimits::startServer(const EngineOptions &options)
{
    m_server = std::make_unique<EngineServer>();
    m_server->setOptions(options);
    if (!m_server->listen(QHostAddress::LocalHost, 0))
        qFatal("listen failed");
    return m_server.get();
}

bool tst_EngineLimits::openPipe(Pipe &pipe, EngineServer *server)
{
    QTcpServer acceptor;
    if (!acceptor.listen(QHostAddress::LocalHost, 0))
        return false;
    pipe.client->connectToHost(QHostAddress::LocalHost, acceptor.serverPort());
    if (!QTest::qWaitFor([&] { return acceptor.hasPendingConnections(); }, 5000))
        return false;
    QTcpSocket *accepted = acceptor.nextPendingConnection();
    accepted->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, 16 * 1024);
    pipe.server = accepted;
    server->handleConnection(accepted);   // reparents it away from the acceptor
    return QTest::qWaitFor([&] { return pipe.client->state() == QAbstractSocket::ConnectedState; }, 5000);
}

EngineSession *tst_EngineLimits::openWebSocket(QWebSocket &peer)
{
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    peer.open(QUrl(u"ws://127.0.0.1:%1/engine.io/?EIO=4&transport=websocket"_s.arg(m_server->serverPort())));
    if (!QTest::qWaitFor([&] { return !connections.isEmpty(); }, 5000))
        return nullptr;
    return connections.first().first().value<EngineSession *>();
}

EngineSession *tst_EngineLimits::openRawWebSocket(QTcpSocket &peer)
{
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    peer.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    if (!peer.waitForConnected(5000))
        return nullptr;
    peer.write(webSocketHandshake());
    if (!QTest::qWaitFor([&] { return !connections.isEmpty(); }, 5000))
        return nullptr;
    return connections.first().first().value<EngineSession *>();
}

void tst_EngineLimits::startBystander(Bystander &b, EngineServer *server, const QByteArray &path)
{
    b.path = path;
    QVERIFY(b.http.connectToHost(QHostAddress::LocalHost, server->serverPort()));
    b.sid = handshake(b.http, path);
    QVERIFY(!b.sid.isEmpty());
}

void tst_EngineLimits::checkBystander(Bystander &b, EngineServer *server, bool socketIo)
{
    EngineSession *session = server->session(b.sid);
    QVERIFY2(session, "the other client's session was closed");
    QCOMPARE(session->state(), EngineSession::State::Open);
    QSignalSpy texts(session, &EngineSession::textMessageReceived);
    // Socket.IO needs a valid packet: a CONNECT to the main namespace, answered with its sid.
    const QByteArray message = socketIo ? "0" : "hi";
    QCOMPARE(b.http.request("POST", pollingTarget(b.path, b.sid), '4' + message).status, 200);
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts.first().first().toByteArray(), message);
    if (!socketIo)
        session->sendText("still here");
    const RawHttpResponse r = b.http.request("GET", pollingTarget(b.path, b.sid));
    QCOMPARE(r.status, 200);
    QVERIFY2(r.body.startsWith(socketIo ? "40{\"sid\":" : "4still here"), r.body.constData());
}

// Issue 1: a polling peer that never sends a GET, but makes the server answer (each `40/x,` is
// answered with a CONNECT_ERROR), must not grow the session's queue without limit: over
// maxBufferedBytes it is closed once it took nothing for writeStallTimeout, over the ceiling at
// once.
void tst_EngineLimits::pollingPeerThatNeverPollsIsClosedAtTheBufferLimit_data()
{
    QTest::addColumn<bool>("ceiling");
    QTest::newRow("over maxBufferedBytes for writeStallTimeout") << false;
    QTest::newRow("over maxBufferedBytesCeiling") << true;
}

void tst_EngineLimits::pollingPeerThatNeverPollsIsClosedAtTheBufferLimit()
{
    QFETCH(bool, ceiling);
    ServerOptions options;
    if (ceiling) {
        options.maxBufferedBytesCeiling = 64 * 1024;
        options.writeStallTimeout = 1h;   // only the ceiling can close it within the test
    } else {
        options.maxBufferedBytes = 64 * 1024;
        options.writeStallTimeout = 300ms;
    }
    Server io(options);
    QVERIFY(io.listen(QHostAddress::LocalHost, 0));
    EngineServer *engine = io.engine();
    Bystander bystander;
    startBystander(bystander, engine, "/socket.io/");
    if (QTest::currentTestFailed())
        return;

    QSignalSpy connections(engine, &EngineServer::connection);
    RawHttpClient attacker;
    QVERIFY(attacker.connectToHost(QHostAddress::LocalHost, io.serverPort()));
    const QString sid = handshake(attacker, "/socket.io/");
    QVERIFY(!sid.isEmpty());
    QCOMPARE(connections.size(), 1);
    auto *session = connections.first().first().value<EngineSession *>();
    QSignalSpy closed(session, &EngineSession::closed);

    QByteArrayList packets{"3"};   // a pong keeps the heartbeat happy; the peer never GETs
    for (int i = 0; i < 1000; ++i)
        packets.append("40/x,");
    const QByteArray body = packets.join('\x1e');
    // Each POST makes the server queue about 37 KB of answers; stop once closed.
    for (int i = 0; i < 20 && closed.isEmpty(); ++i)
        attacker.request("POST", pollingTarget("/socket.io/", sid), body);
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(closed.first().at(0).toString(), u"transport error"_s);
    QCOMPARE(closed.first().at(1).toString(), u"write buffer overflow"_s);
    QVERIFY(!engine->session(sid));

    checkBystander(bystander, engine, true);
}

// A burst queued while no GET is parked may go over maxBufferedBytes: the peer keeps polling and
// collects all of it with its next GET, as from engine.io (which has no limit at all).
void tst_EngineLimits::pollingBurstOverTheLimitIsKeptForAPeerThatPolls()
{
    EngineOptions options;
    options.maxBufferedBytes = 64 * 1024;
    startServer(options);
    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    RawHttpClient peer;
    QVERIFY(peer.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    const QString sid = handshake(peer);
    QVERIFY(!sid.isEmpty());
    QCOMPARE(connections.size(), 1);
    auto *session = connections.first().first().value<EngineSession *>();
    QSignalSpy closed(session, &EngineSession::closed);

    QByteArrayList expected;
    for (int i = 0; i < 16; ++i) {   // 128 KiB, twice the limit, while no GET is parked
        const QByteArray message = QByteArray::number(i) + QByteArray(8 * 1024, 'x');
        session->sendText(message);
        expected.append('4' + message);
    }
    QCOMPARE(session->state(), EngineSession::State::Open);
    const RawHttpResponse r = peer.request("GET", pollingTarget("/engine.io/", sid));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body.split('\x1e'), expected);
    QVERIFY(closed.isEmpty());
    QCOMPARE(session->state(), EngineSession::State::Open);
}

// Issue 2: like engine.io's ws transport, a WebSocket is writable only when nothing is waiting to
// be written; what is sent meanwhile is queued and goes out in order once the socket drained.
void tst_EngineLimits::webSocketIsNotWritableWhileAWriteIsPending()
{
    startServer();
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    QWebSocket peer;
    QStringList texts;
    connect(&peer, &QWebSocket::textMessageReceived, this, [&](const QString &m) { texts.append(m); });
    EngineSession *session = openWebSocket(peer);
    QVERIFY(session);
    QTRY_COMPARE(texts.size(), 1);   // the open packet
    QTRY_VERIFY(session->isWritable());

    // More than loopback's socket buffers take at once: part of it waits in the socket.
    const QByteArray big(4 * 1024 * 1024, 'a');
    session->sendText(big);
    QVERIFY2(!session->isWritable(), "writable while a write is still pending");
    session->sendText("b");
    session->sendText("c");
    QTRY_COMPARE_WITH_TIMEOUT(texts.size(), 4, 20000);
    QCOMPARE(texts.at(1).size(), big.size() + 1);
    QCOMPARE(texts.mid(2), (QStringList{u"4b"_s, u"4c"_s}));
    QTRY_VERIFY(session->isWritable());
    QCOMPARE(session->state(), EngineSession::State::Open);

    checkBystander(bystander, m_server.get());
}

// A WebSocket peer that reads everything takes a burst that queues more than maxBufferedBytes
// behind a large write: nothing is lost and the session stays open (engine.io has no limit).
void tst_EngineLimits::webSocketBurstOverTheLimitReachesAPeerThatReads()
{
    EngineOptions options;
    options.maxBufferedBytes = 256 * 1024;
    startServer(options);
    QWebSocket peer;
    int received = 0;
    QString last;
    connect(&peer, &QWebSocket::textMessageReceived, this, [&](const QString &m) {
        ++received;
        last = m.left(8);
    });
    EngineSession *session = openWebSocket(peer);
    QVERIFY(session);
    QSignalSpy closed(session, &EngineSession::closed);
    QTRY_COMPARE(received, 1);   // the open packet
    QTRY_VERIFY(session->isWritable());

    session->sendText(QByteArray(4 * 1024 * 1024, 'a'));   // more than the kernel takes at once
    QVERIFY(!session->isWritable());
    for (int i = 0; i < 64; ++i)   // 1 MiB queued behind it: four times the limit
        session->sendText(QByteArray::number(i).rightJustified(4, '0') + QByteArray(16 * 1024, 'b'));
    QCOMPARE(session->state(), EngineSession::State::Open);
    QTRY_COMPARE_WITH_TIMEOUT(received, 1 + 1 + 64, 20000);
    QCOMPARE(last, u"40063bbb"_s);
    QVERIFY(closed.isEmpty());
    QCOMPARE(session->state(), EngineSession::State::Open);
}

// A peer on a slow link reads a large earlier write for longer than writeStallTimeout while
// more than maxBufferedBytes wait behind it: it takes something all the while, so it is not
// stalled, and it gets everything (engine.io would keep it too).
void tst_EngineLimits::webSocketSlowReaderOverTheLimitIsNotStalled()
{
    EngineOptions options;
    options.maxBufferedBytes = 256 * 1024;
    options.writeStallTimeout = 300ms;
    startServer(options);
    QTcpSocket peer;
    peer.setReadBufferSize(64 * 1024);
    EngineSession *session = openRawWebSocket(peer);
    QVERIFY(session);
    QSignalSpy closed(session, &EngineSession::closed);
    QTRY_VERIFY(session->isWritable());

    // The peer takes 64 KiB every 10 ms (at most about 6 MB/s): the big write below needs
    // several writeStallTimeouts.
    qint64 received = 0;
    QTimer reader;
    reader.setInterval(10ms);
    connect(&reader, &QTimer::timeout, &peer, [&] { received += peer.read(64 * 1024).size(); });
    reader.start();
    constexpr qint64 Big = 16 * 1024 * 1024;
    session->sendText(QByteArray(Big, 'a'));
    QVERIFY(!session->isWritable());
    for (int i = 0; i < 64; ++i)   // 1 MiB queued behind it: four times the limit
        session->sendText(QByteArray(16 * 1024, 'b'));
    QTRY_VERIFY_WITH_TIMEOUT(received >= Big + 64 * 16 * 1024 || !closed.isEmpty(), 60000);
    QVERIFY(closed.isEmpty());
    QCOMPARE(session->state(), EngineSession::State::Open);
}

// Issue 2: a WebSocket peer that stops reading makes the session queue, and the queue is capped:
// closed once it took nothing for writeStallTimeout while over maxBufferedBytes, or at once over
// maxBufferedBytesCeiling.
void tst_EngineLimits::webSocketPeerThatStopsReadingIsClosedAtTheBufferLimit_data()
{
    QTest::addColumn<bool>("handedIn");
    QTest::addColumn<int>("bigSize");
    QTest::addColumn<bool>("ceiling");
    // A handed-in socket has a 16 KiB send buffer (openPipe()); the engine's own socket writes
    // straight to the kernel, whose loopback buffers take megabytes: more than they can hold.
    for (const bool ceiling : {false, true}) {
        const char *limit = ceiling ? "maxBufferedBytesCeiling" : "maxBufferedBytes, stalled";
        QTest::addRow("socket given to handleConnection(), %s", limit) << true << 2 * 1024 * 1024 << ceiling;
        QTest::addRow("connection the engine accepted, %s", limit) << false << 32 * 1024 * 1024 << ceiling;
    }
}

void tst_EngineLimits::webSocketPeerThatStopsReadingIsClosedAtTheBufferLimit()
{
    QFETCH(bool, handedIn);
    QFETCH(int, bigSize);
    QFETCH(bool, ceiling);
    EngineOptions options;
    if (ceiling) {
        options.maxBufferedBytesCeiling = 256 * 1024;
        options.writeStallTimeout = 1h;
    } else {
        options.maxBufferedBytes = 256 * 1024;
        options.writeStallTimeout = 300ms;
    }
    startServer(options);
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    Pipe pipe;
    pipe.client->setReadBufferSize(1024);   // it reads the handshake answer, then nothing more
    if (handedIn) {
        QVERIFY(openPipe(pipe, m_server.get()));
    } else {
        pipe.client->connectToHost(QHostAddress::LocalHost, m_server->serverPort());
        QVERIFY(pipe.client->waitForConnected(5000));
    }
    pipe.client->write(webSocketHandshake());
    QTRY_COMPARE(connections.size(), 1);
    auto *session = connections.first().first().value<EngineSession *>();
    QSignalSpy closed(session, &EngineSession::closed);
    QTRY_VERIFY(session->isWritable());

    const QByteArray big(bigSize, 'a');
    session->sendText(big);
    QVERIFY(!session->isWritable());
    // Smaller messages now queue in the session until the limit closes it.
    const QByteArray chunk(1024, 'b');
    for (int i = 0; i < 1000 && closed.isEmpty(); ++i) {
        session->sendText(chunk);
        QCoreApplication::processEvents();
    }
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(closed.first().at(0).toString(), u"transport error"_s);
    QCOMPARE(closed.first().at(1).toString(), u"write buffer overflow"_s);
    // The socket holds at most what was written while it was writable (the big message).
    QVERIFY(!pipe.server || pipe.server->bytesToWrite() <= big.size() + 16);

    checkBystander(bystander, m_server.get());
}

void tst_EngineLimits::webSocketPeerThatPingsAndNeverReadsIsDroppedAtTheCeiling()
{
    // QWebSocket answers every ping with a pong, which the engine never sees queued: a peer
    // that pings and reads nothing would grow the server's write buffer without end (Node's ws
    // too). The socket itself stops at maxBufferedBytesCeiling and drops that connection.
    EngineOptions options;
    options.maxBufferedBytesCeiling = 256 * 1024;
    startServer(options);
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    QTcpSocket peer;
    peer.setReadBufferSize(1024);   // reads the handshake answer, then nothing more
    peer.connectToHost(QHostAddress::LocalHost, m_server->serverPort());
    QVERIFY(peer.waitForConnected(5000));
    peer.write(webSocketHandshake());
    QTRY_COMPARE(connections.size(), 1);
    auto *session = connections.first().first().value<EngineSession *>();
    QSignalSpy closed(session, &EngineSession::closed);
    QTRY_VERIFY(session->isWritable());

    // a masked ping with 125 bytes of payload (a zero mask leaves it as it is), a thousand at a time
    QByteArray ping("\x89\xfd\0\0\0\0", 6);
    ping.append(QByteArray(125, 'p'));
    const QByteArray batch = ping.repeated(1000);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"more than 262144 bytes wait for a peer that reads nothing"_s));
    // up to 50 MB of pings, far more than the kernel's loopback buffers and the ceiling hold
    for (int i = 0; i < 400 && closed.isEmpty() && peer.state() == QAbstractSocket::ConnectedState; ++i) {
        peer.write(batch);
        QTRY_VERIFY(peer.bytesToWrite() < 4 * batch.size() || !closed.isEmpty());
        QCoreApplication::processEvents();
    }
    QTRY_COMPARE(closed.size(), 1);
    checkBystander(bystander, m_server.get());
}

void tst_EngineLimits::webSocketFramesOfOnePassArriveInOrder_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("textSize");
    QTest::addColumn<int>("binarySize");     // 0: text messages only
    QTest::addColumn<bool>("peerBehind");    // 4 MiB first: the kernel takes part, Qt's buffer the rest
    // Frames of one event-loop pass go out together (one sendmsg(2) while the peer keeps up):
    // small ones share a piece, a payload over 1 KiB is a piece of its own, and past 64 pieces
    // the rest goes by further calls; what the kernel does not take, and large payloads, go
    // through the socket's buffer. Whatever the path, the order and the bytes hold.
    QTest::newRow("small text") << 300 << 100 << 0 << false;
    QTest::newRow("large text, more pieces than one sendmsg(2) takes") << 150 << 3000 << 0 << false;
    QTest::newRow("text with binary attachments") << 40 << 20 << 5000 << false;
    // From 16 KiB on, a payload and what follows it go through the socket's buffer (shared there).
    QTest::newRow("text with large binary attachments") << 20 << 20 << 40000 << false;
    QTest::newRow("behind a message the kernel cannot take at once") << 150 << 3000 << 5000 << true;
}

void tst_EngineLimits::webSocketFramesOfOnePassArriveInOrder()
{
    QFETCH(int, count);
    QFETCH(int, textSize);
    QFETCH(int, binarySize);
    QFETCH(bool, peerBehind);
    startServer();
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    QWebSocket peer;
    QByteArrayList received;
    connect(&peer, &QWebSocket::textMessageReceived, this,
            [&](const QString &m) { received.append(m.toUtf8()); });
    connect(&peer, &QWebSocket::binaryMessageReceived, this,
            [&](const QByteArray &m) { received.append("bin:" + m); });
    EngineSession *session = openWebSocket(peer);
    QVERIFY(session);
    QTRY_COMPARE(received.size(), 1);   // the open packet
    received.clear();
    QTRY_VERIFY(session->isWritable());

    QByteArrayList expected;
    if (peerBehind) {
        const QByteArray big(4 * 1024 * 1024, 'z');
        session->sendText(big);
        expected.append('4' + big);
    }
    // All in one pass: nothing here runs the event loop.
    for (int i = 0; i < count; ++i) {
        QByteArray text = QByteArray::number(i) + ':';
        text.append(QByteArray(textSize, char('a' + i % 26)));
        if (binarySize == 0) {
            session->sendText(text);
            expected.append('4' + text);
        } else {
            const QByteArray binary(binarySize, char(i % 251));
            session->sendMessages(text, {binary, binary.left(7)});
            expected.append('4' + text);
            expected.append("bin:" + binary);
            expected.append("bin:" + binary.left(7));
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), expected.size(), 20000);
    for (qsizetype i = 0; i < expected.size(); ++i)
        QVERIFY2(received.at(i) == expected.at(i), qPrintable(u"message %1 differs"_s.arg(i)));
    QTRY_VERIFY(session->isWritable());
    QCOMPARE(session->state(), EngineSession::State::Open);

    checkBystander(bystander, m_server.get());
}

// A peer that resets its connection while the server has frames to send: the write that meets
// the reset fails, that session closes as a transport close, and nobody else notices.
void tst_EngineLimits::webSocketPeerGoneBeforeTheWriteClosesOnlyItsSession()
{
#ifndef Q_OS_UNIX
    QSKIP("needs SO_LINGER with a zero timeout to make the peer reset its connection (POSIX)");
#else
    startServer();
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    QTcpSocket peer;
    EngineSession *session = openRawWebSocket(peer);
    QVERIFY(session);
    const QString sid = session->id();
    QSignalSpy closed(session, &EngineSession::closed);
    QTRY_VERIFY(peer.bytesAvailable() > 0);   // the 101 (and the open packet)
    QTRY_VERIFY(session->isWritable());

    // Closing with a zero linger time sends a reset at once, before the server has read anything.
    const linger reset{1, 0};
    QCOMPARE(::setsockopt(int(peer.socketDescriptor()), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
    peer.abort();
    for (int i = 0; i < 50; ++i)
        session->sendText(QByteArray(2000, 'x'));
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(closed.first().at(0).toString(), u"transport close"_s);
    QTRY_VERIFY(!m_server->session(sid));   // (the session is deleted by now)

    checkBystander(bystander, m_server.get());
#endif
}

// A message and the peer's close frame in one read: the reply the application sends while the
// message is handled is written before QWebSocket's answer to the close, as it was sent.
void tst_EngineLimits::replyToAMessageBesideThePeersCloseLeavesBeforeTheCloseFrame()
{
    startServer();
    QTcpSocket peer;
    EngineSession *session = openRawWebSocket(peer);
    QVERIFY(session);
    connect(session, &EngineSession::textMessageReceived, session,
            [session](const QByteArray &text) { session->sendText("reply to " + text); });
    QByteArray received;
    const auto readHead = [&] { received += peer.readAll(); return received.indexOf("\r\n\r\n"); };
    QTRY_VERIFY(readHead() > 0);
    received.remove(0, received.indexOf("\r\n\r\n") + 4);

    // Client frames are masked; a zero key leaves the payload as it is.
    const auto clientFrame = [](quint8 opcode, const QByteArray &payload) -> QByteArray {
        QByteArray frame(1, char(0x80 | opcode));
        frame += char(0x80 | payload.size());
        frame += QByteArray(4, '\0');
        return frame + payload;
    };
    peer.write(clientFrame(0x1, "4hello") + clientFrame(0x8, QByteArray("\x03\xe8", 2)));
    QTRY_VERIFY2(peer.state() == QAbstractSocket::UnconnectedState || received.contains('\x88'),
                 "no close frame from the server");
    QTRY_COMPARE_WITH_TIMEOUT(peer.state(), QAbstractSocket::UnconnectedState, 10000);
    received += peer.readAll();

    // The server's frames (unmasked, short): opcode and payload.
    QList<QPair<int, QByteArray>> frames;
    for (qsizetype at = 0; at + 2 <= received.size();) {
        const int length = quint8(received.at(at + 1)) & 0x7f;
        QVERIFY2(length < 126, "unexpectedly long frame");
        frames.append({quint8(received.at(at)) & 0x0f, received.mid(at + 2, length)});
        at += 2 + length;
    }
    QCOMPARE(frames.size(), 3);
    QCOMPARE(frames.at(0).first, 0x1);
    QVERIFY(frames.at(0).second.startsWith("0{"));   // the open packet
    QCOMPARE(frames.at(1), (QPair<int, QByteArray>(0x1, "4reply to hello")));
    QCOMPARE(frames.at(2).first, 0x8);
}

void tst_EngineLimits::stalledRequestBodyIsAborted_data()
{
    QTest::addColumn<bool>("sessionPost");
    QTest::newRow("polling POST of a session") << true;
    QTest::newRow("request outside the engine path") << false;
}

// Issue 3: a request whose body never completes is aborted after httpBodyTimeout; a session
// whose POST slot it held keeps working, and its client's next POST is not a "concurrent" one.
void tst_EngineLimits::stalledRequestBodyIsAborted()
{
    QFETCH(bool, sessionPost);
    EngineOptions options;
    options.httpBodyTimeout = std::chrono::milliseconds(300);
    startServer(options);
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    RawHttpClient owner;
    QVERIFY(owner.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    const QString sid = handshake(owner);
    QVERIFY(!sid.isEmpty());
    auto *session = connections.first().first().value<EngineSession *>();
    QSignalSpy closed(session, &EngineSession::closed);
    QSignalSpy texts(session, &EngineSession::textMessageReceived);

    RawHttpClient slow;
    QVERIFY(slow.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    const QByteArray target = sessionPost ? pollingTarget("/engine.io/", sid) : QByteArray("/x");
    slow.sendRaw("POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n4a");
    QVERIFY2(slow.waitForDisconnected(5000), "a stalled body kept its connection");
    QCOMPARE(slow.pendingResponses(), 0);

    QCOMPARE(owner.request("POST", pollingTarget("/engine.io/", sid), "4hello").status, 200);
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts.first().first().toByteArray(), QByteArray("hello"));
    QCOMPARE(closed.size(), 0);

    checkBystander(bystander, m_server.get());
}

// Issue 4: a client that pipelines requests and never reads the answers is held back by TCP flow
// control: the server stops reading while its unread responses exceed a small limit, and goes
// on, in order, once the client reads.
void tst_EngineLimits::pipelinedRequestsWaitWhileResponsesAreUnread()
{
    startServer();
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    Pipe pipe;
    pipe.client->setReadBufferSize(1);   // stops reading almost at once
    QVERIFY(openPipe(pipe, m_server.get()));
    constexpr int Requests = 10000;
    const QByteArray request = "GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n";
    pipe.client->write(request.repeated(Requests));

    // The server stops serving: its write backlog reached the limit and the next requests pile
    // up unread in its socket. Without the limit it would go on answering all of them, and its
    // socket's read buffer would be empty whenever the event loop looks.
    QTRY_VERIFY_WITH_TIMEOUT(pipe.server && pipe.server->bytesToWrite() > WriteBacklogLimit
                                 && pipe.server->bytesAvailable() >= 32 * 1024,
                             10000);
    QVERIFY2(pipe.server->bytesToWrite() <= WriteBacklogLimit + 512,
             QByteArray::number(pipe.server->bytesToWrite()).constData());
    // The connection is not dropped meanwhile, and the bystander is served.
    checkBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    // Once the client reads, every request is answered, in order.
    pipe.client->setReadBufferSize(0);
    QByteArray received;
    int responses = 0;
    qint64 maxBacklog = 0;
    const auto readSome = [&] {
        received += pipe.client->readAll();
        qsizetype at;
        while ((at = received.indexOf("\r\n\r\nNot Found")) >= 0) {
            QVERIFY(received.startsWith("HTTP/1.1 404 Not Found\r\n"));
            received.remove(0, at + 13);
            ++responses;
        }
        if (pipe.server)
            maxBacklog = qMax(maxBacklog, pipe.server->bytesToWrite());
    };
    connect(pipe.client.get(), &QTcpSocket::readyRead, this, readSome);
    readSome();
    QTRY_COMPARE_WITH_TIMEOUT(responses, Requests, 30000);
    QVERIFY(received.isEmpty());
    QVERIFY(maxBacklog <= WriteBacklogLimit + 512);
    QCOMPARE(pipe.client->state(), QAbstractSocket::ConnectedState);
}

// Issue 4: the last response of a connection (Connection: close) waits for the peer only so long.
void tst_EngineLimits::unreadLastResponseIsDropped()
{
    startServer();
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    RawHttpClient owner;
    QVERIFY(owner.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    const QString sid = handshake(owner);
    QVERIFY(!sid.isEmpty());
    EngineSession *session = m_server->session(sid);
    QVERIFY(session);
    // A GET response far larger than the socket buffers of loopback.
    session->sendText(QByteArray(4 * 1024 * 1024, 'a'));

    Pipe pipe;
    pipe.client->setReadBufferSize(1);
    QVERIFY(openPipe(pipe, m_server.get()));
    pipe.client->write("GET " + pollingTarget("/engine.io/", sid)
                       + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QTRY_VERIFY(pipe.server && pipe.server->state() == QAbstractSocket::ClosingState);
    QTRY_VERIFY_WITH_TIMEOUT(!pipe.server, CloseTimeoutMs + 5000);

    // The session itself is not affected by the lost response.
    QCOMPARE(session->state(), EngineSession::State::Open);
    checkBystander(bystander, m_server.get());
}

// Issue 5: once a packet made the application close the session, the rest of the same POST
// body does not reach it (engine.io ignores packets unless the socket is open).
void tst_EngineLimits::packetsAfterCloseInTheSamePostAreDropped()
{
    startServer();
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    RawHttpClient client;
    QVERIFY(client.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    const QString sid = handshake(client);
    QVERIFY(!sid.isEmpty());
    auto *session = connections.first().first().value<EngineSession *>();
    QByteArrayList texts;
    connect(session, &EngineSession::textMessageReceived, this, [&](const QByteArray &m) {
        texts.append(m);
        if (m == "abc")   // what an application does with a packet it cannot decode
            session->close();
    });
    const RawHttpResponse r = client.request("POST", pollingTarget("/engine.io/", sid),
                                             "4abc\x1e" "42[\"evt\"]\x1e" "1");
    QCOMPARE(r.status, 200);
    QCOMPARE(texts, QByteArrayList{"abc"});
    QCOMPARE(session->state(), EngineSession::State::Closing);
    // The close still completes: the next GET carries the close packet (after a noop, as
    // engine.io answers a GET that finds a close pending).
    QSignalSpy closed(session, &EngineSession::closed);
    QCOMPARE(client.request("GET", pollingTarget("/engine.io/", sid)).body, QByteArray("6\x1e" "1"));
    QTRY_COMPARE(closed.size(), 1);

    checkBystander(bystander, m_server.get());
}

void tst_EngineLimits::refusedPostDoesNotHoldThePostSlot_data()
{
    QTest::addColumn<QByteArray>("query");   // SID is replaced by the session id
    QTest::addColumn<QList<QByteArray>>("headers");
    QTest::newRow("transport mismatch") << QByteArray("EIO=4&transport=websocket&sid=SID") << QList<QByteArray>();
    QTest::newRow("protocol mismatch") << QByteArray("EIO=3&transport=polling&sid=SID") << QList<QByteArray>();
    QTest::newRow("invalid origin") << QByteArray("EIO=4&transport=polling&sid=SID")
                                    << QList<QByteArray>{"Origin: http://a\x7f"};
}

// Issue 6: a POST refused by verification never takes the session's POST slot, so neither the
// client's next POST on another connection nor one on the same keep-alive connection is refused
// as concurrent.
void tst_EngineLimits::refusedPostDoesNotHoldThePostSlot()
{
    QFETCH(QByteArray, query);
    QFETCH(QList<QByteArray>, headers);
    startServer();
    Bystander bystander;
    startBystander(bystander, m_server.get());
    if (QTest::currentTestFailed())
        return;

    QSignalSpy connections(m_server.get(), &EngineServer::connection);
    RawHttpClient a, b;
    QVERIFY(a.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    QVERIFY(b.connectToHost(QHostAddress::LocalHost, m_server->serverPort()));
    const QString sid = handshake(a);
    QVERIFY(!sid.isEmpty());
    auto *session = connections.first().first().value<EngineSession *>();
    QSignalSpy closed(session, &EngineSession::closed);
    QSignalSpy texts(session, &EngineSession::textMessageReceived);

    query.replace("SID", sid.toLatin1());
    const RawHttpResponse refused = b.request("POST", "/engine.io/?" + query, "4x", headers);
    QCOMPARE(refused.status, 400);
    QCOMPARE(QJsonDocument::fromJson(refused.body).object().value(u"code"_s).toInt(), 3);

    QCOMPARE(a.request("POST", pollingTarget("/engine.io/", sid), "4one").status, 200);
    QCOMPARE(b.request("POST", pollingTarget("/engine.io/", sid), "4two").status, 200);
    QTRY_COMPARE(texts.size(), 2);
    QCOMPARE(texts.at(0).first().toByteArray(), QByteArray("one"));
    QCOMPARE(texts.at(1).first().toByteArray(), QByteArray("two"));
    QCOMPARE(closed.size(), 0);

    checkBystander(bystander, m_server.get());
}

QTEST_MAIN(tst_EngineLimits)
#include "tst_engine_limits.moc"
