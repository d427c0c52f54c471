// Our Socket.IO client (SocketIo::Client / ClientSocket) against our SocketIo::Server over
// loopback, in three transport modes: connecting, events and acks both ways, binary, namespaces,
// auth, refusals, buffering, disconnect reasons, reconnection and its Backoff, retries; a fake
// Socket.IO server (raw Engine.IO) for bad input; closeAndDeleteLater() (two namespaces, nothing to
// send, a stopped server); the chat-client example against chat-server.
#include "clienttesthelpers.h"
#include "siotesthelpers.h"
#include "engineio/engineclient_p.h"
#include "engineio/engineserver_p.h"
#include "engineio/enginesession_p.h"
#include "socketio/ackreply_p.h"
#include "socketio/client_p.h"
#include "socketio/server_p.h"
#include "socketio/backoff_p.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QCborMap>
#include <QElapsedTimer>
#include <QPointer>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QTimer>

#include <memory>
#include <numeric>
#include <optional>
#include <vector>

#include <signal.h>
#include <sys/prctl.h>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using SocketIo::AckReply;
using SocketIo::Client;
using SocketIo::ClientOptions;
using SocketIo::ClientSocket;
using SocketIo::DisconnectReason;
using SocketIo::Message;
using SocketIo::Namespace;
using SocketIo::Next;
using SocketIo::Server;
using SocketIo::Socket;

using SocketIo::Test::addTransportRows;
using SocketIo::Test::keep;
using SocketIo::Test::rowOptions;

namespace {

QUrl urlFor(quint16 port)
{
    return QUrl(u"http://127.0.0.1:%1"_s.arg(port));
}

/*!
  A fake Socket.IO server on a bare Engine.IO server: \a onConnect(session, sessionNumber) runs
  for every CONNECT packet ("0...") and writes whatever the test wants.
*/
std::unique_ptr<SocketIo::EngineServer> fakeServer(
    std::function<void(SocketIo::EngineSession *session, int number, const QByteArray &connect)> onConnect)
{
    auto engine = std::make_unique<SocketIo::EngineServer>();
    SocketIo::EngineOptions engineOptions;
    engineOptions.path = u"/socket.io/"_s;
    engineOptions.pingInterval = 300ms;
    engineOptions.pingTimeout = 200ms;
    engine->setOptions(engineOptions);
    if (!engine->listen(QHostAddress::LocalHost, 0))
        return nullptr;
    auto sessions = std::make_shared<int>(0);
    QObject::connect(engine.get(), &SocketIo::EngineServer::connection, engine.get(),
                     [sessions, onConnect](SocketIo::EngineSession *session) {
        const int n = ++*sessions;
        QObject::connect(session, &SocketIo::EngineSession::textMessageReceived, session,
                         [session, n, onConnect](const QByteArray &text) {
            if (text.startsWith('0'))
                onConnect(session, n, text);
        });
    });
    return engine;
}

/*! A port nobody listens on (bound, then released). */
quint16 closedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

/*! The chat-server example on a port of its own, its stdout collected; killed when destroyed (a
    stopped one too). */
class ChatServerProcess
{
public:
    ~ChatServerProcess()
    {
        m_process.kill();
        m_process.waitForFinished();
    }
    /*! Starts it; false with error() set when it is not built, does not start or does not say
        "listening" in 10 s. */
    bool start()
    {
        const QString path = QStringLiteral(SOCKETIO_BINARY_DIR "/examples/chat-server/chat-server");
        m_port = closedPort();
        if (!QFile::exists(path) || !m_port) {
            m_error = u"not built, or no free port: "_s + path;
            return false;
        }
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process,
                         [this] { m_out += m_process.readAllStandardOutput(); });
        // gone with the test even if it dies before the destructor runs (a test may SIGSTOP it)
        m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_process.start(path, {u"--port"_s, QString::number(m_port), u"--host"_s, u"127.0.0.1"_s});
        if (m_process.waitForStarted()
            && QTest::qWaitFor([this] { return m_out.contains("listening"); }, 10000))
            return true;
        m_error = u"chat-server did not start listening: "_s + QString::fromUtf8(m_out)
            + QString::fromUtf8(m_process.readAllStandardError());
        return false;
    }
    QString error() const { return m_error; }
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }
    /*! What it printed so far. */
    const QByteArray &out() const { return m_out; }

private:
    QProcess m_process;
    QByteArray m_out;
    QString m_error;
    quint16 m_port = 0;
};

/*! Collects the server-side sockets of a namespace as they connect. */
QList<QPointer<Socket>> *collectSockets(Namespace *nsp)
{
    auto *list = new QList<QPointer<Socket>>;
    QObject::connect(nsp, &Namespace::connection, nsp, [list](Socket *s) { list->append(s); });
    QObject::connect(nsp, &QObject::destroyed, [list] { delete list; });
    return list;
}

} // namespace

class tst_Client : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();

    void backoffFollowsSocketIoClientFormula_data();
    void backoffFollowsSocketIoClientFormula();
    void backoffNewParametersKeepTheAttempts();
    void setOptionsFromReconnectAttemptReachesTheNextAttempt_data() { addTransportRows(); }
    void setOptionsFromReconnectAttemptReachesTheNextAttempt();

    void connectsAndExchangesEvents_data() { addTransportRows(); }
    void connectsAndExchangesEvents();
    void acksBothWays_data() { addTransportRows(); }
    void acksBothWays();
    void ackTimesOutAndDisconnectRejects_data() { addTransportRows(); }
    void ackTimesOutAndDisconnectRejects();
    void binaryBothWays_data() { addTransportRows(); }
    void binaryBothWays();
    void namespacesShareOneEngineSession_data() { addTransportRows(); }
    void namespacesShareOneEngineSession();
    void authValueAndAsynchronousCallback_data() { addTransportRows(); }
    void authValueAndAsynchronousCallback();
    void middlewareRefusalIsConnectErrorWithData_data() { addTransportRows(); }
    void middlewareRefusalIsConnectErrorWithData();
    void byteArraysInConnectAndConnectErrorAreNullWithAWarning_data() { addTransportRows(); }
    void byteArraysInConnectAndConnectErrorAreNullWithAWarning();
    void unknownNamespaceIsConnectError_data() { addTransportRows(); }
    void unknownNamespaceIsConnectError();
    void eventsBeforeConnectReplyAreDelivered_data() { addTransportRows(); }
    void eventsBeforeConnectReplyAreDelivered();
    void emitsWhileDisconnectedAreBufferedVolatileDropped_data() { addTransportRows(); }
    void emitsWhileDisconnectedAreBufferedVolatileDropped();
    void serverDisconnectDoesNotReconnect_data() { addTransportRows(); }
    void serverDisconnectDoesNotReconnect();
    void clientCloseLeavesAndClosesEngine_data() { addTransportRows(); }
    void clientCloseLeavesAndClosesEngine();
    void protocolDeadlinesUsePreciseTimers();
    void closeAndDeleteLaterLetsTheDisconnectsOut_data() { addTransportRows(); }
    void closeAndDeleteLaterLetsTheDisconnectsOut();
    void closeAndDeleteLaterWithNothingToSendDeletesAtOnce();
    void closeAndDeleteLaterAfterAPingTimeoutLetsTheClosePacketOut();
    void closeAndDeleteLaterGivesUpOnASilentServerAfterGrace_data();
    void closeAndDeleteLaterGivesUpOnASilentServerAfterGrace();
    void reconnectsAfterServerRestart_data() { addTransportRows(); }
    void reconnectsAfterServerRestart();
    void reconnectsAfterSessionAbort_data() { addTransportRows(); }
    void reconnectsAfterSessionAbort();
    void reconnectFailedAfterAttemptsAgainstClosedPort();
    void retriesRedeliverUntilAcked_data() { addTransportRows(); }
    void retriesRedeliverUntilAcked();
    void badInputFromServerClosesAndReconnects_data();
    void badInputFromServerClosesAndReconnects();
    void strayPacketsAreIgnoredAsSocketIoClientDoes();
    void closeBeforeConnectReplyReportsDisconnected();
    void volatileWaitsForTheConnectReplyWhenWritable_data() { addTransportRows(); }
    void volatileWaitsForTheConnectReplyWhenWritable();
    void overduePingBuffersEmitsAndReconnects_data();
    void overduePingBuffersEmitsAndReconnects();
    void chatClientExampleTalksToChatServer();

    // socket.io-client 4.8.4 option semantics
    void connectTimeoutZeroFailsAtOnceNulloptDisables();
    void ackTimeoutZeroTimesOutAtOnce_data() { addTransportRows(); }
    void ackTimeoutZeroTimesOutAtOnce();
    void closeBeforeEventLoopOpensNoEngine();
    void clientCloseWhileReconnectingStopsAndOpenResumes_data() { addTransportRows(); }
    void clientCloseWhileReconnectingStopsAndOpenResumes();
    void zeroReconnectionOptionsMeanTheDefaults();
    void openFromClosedSlotThenConnectionLossReconnects_data() { addTransportRows(); }
    void openFromClosedSlotThenConnectionLossReconnects();
    void openFromErrorSlotReplacesTheReconnection();
    void retriesKeepThePerEmitTimeout_data() { addTransportRows(); }
    void retriesKeepThePerEmitTimeout();
};

void tst_Client::initTestCase()
{
    sioRegisterMetaTypes();
    qRegisterMetaType<SocketIo::Client::State>();
    qRegisterMetaType<SocketIo::EngineSession *>();
}

void tst_Client::backoffFollowsSocketIoClientFormula_data()
{
    QTest::addColumn<double>("jitter");
    QTest::addColumn<QList<double>>("randoms");
    QTest::addColumn<QList<int>>("expected");
    // min 1000, max 5000: ms = 1000 * 2^attempt; deviation = floor(r * j * ms), subtracted when
    // floor(r * 10) is even, added when odd; min(ms, max)
    QTest::newRow("without jitter the delay doubles up to the maximum")
        << 0.0 << QList<double>{} << QList<int>{1000, 2000, 4000, 5000, 5000};
    QTest::newRow("jitter subtracts on even tenths and adds on odd ones")
        << 0.5 << QList<double>{0.25, 0.35, 0.8, 0.99, 0.0}
        << QList<int>{875, 2350, 2400, 5000, 5000};
    QTest::newRow("a zero random number leaves the delay as is")
        << 0.5 << QList<double>{0.0, 0.0, 0.0} << QList<int>{1000, 2000, 4000};
}

void tst_Client::backoffFollowsSocketIoClientFormula()
{
    QFETCH(double, jitter);
    QFETCH(QList<double>, randoms);
    QFETCH(QList<int>, expected);
    SocketIo::Internal::Backoff backoff(1000, 5000, jitter);
    qsizetype next = 0;
    backoff.setRandomSource([&] { return randoms.value(next++); });
    for (qsizetype i = 0; i < expected.size(); ++i)
        QCOMPARE(backoff.duration(), expected.at(i));
    QCOMPARE(backoff.attempts(), int(expected.size()));
    backoff.reset();
    next = 0;
    QCOMPARE(backoff.duration(), expected.first());
}

void tst_Client::backoffNewParametersKeepTheAttempts()
{
    // socket.io-client's reconnectionDelay(v) etc. call backo2's setMin/setMax/setJitter: the
    // next delay uses the new numbers with the attempts counted so far
    SocketIo::Internal::Backoff backoff(1000, 5000, 0);
    QCOMPARE(backoff.duration(), 1000);
    QCOMPARE(backoff.duration(), 2000);
    backoff.setParameters(100, 300, 0);
    QCOMPARE(backoff.attempts(), 2);
    QCOMPARE(backoff.duration(), 300);   // 100 * 2^2 = 400, capped at 300
    backoff.setParameters(10, 100000, 0.5);
    backoff.setRandomSource([] { return 0.25; });
    QCOMPARE(backoff.duration(), 80 - 10);   // 10 * 2^3, minus floor(0.25 * 0.5 * 80)
    backoff.setParameters(0, 0, 0);          // backo2's `min || 100`, `max || 10000`
    QCOMPARE(backoff.duration(), 1600);      // 100 * 2^4; the random source is kept, no jitter
    QCOMPARE(backoff.attempts(), 5);
}

void tst_Client::setOptionsFromReconnectAttemptReachesTheNextAttempt()
{
    // socket.io-client users refresh `manager.opts.query` (a token) or extraHeaders in
    // "reconnect_attempt": the attempt that follows carries them
    auto io = sioStartServer();
    QVERIFY(io);
    QStringList tokens;
    QStringList headers;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        tokens.append(s->handshake().query.value(u"token"_s).toString());
        headers.append(s->handshake().headers.value(u"x-token"_s).toString());
    });
    auto *serverSockets = collectSockets(io->of(u"/"_s));
    ClientOptions options = rowOptions();
    options.query.addQueryItem(u"token"_s, u"first"_s);
    options.extraHeaders.append({QByteArray("X-Token"), QByteArray("h1")});
    options.reconnectionDelay = 1ms;
    options.reconnectionDelayMax = 1ms;
    Client client(urlFor(io->serverPort()), options);
    ClientSocket *socket = client.socket();
    QSignalSpy connected(socket, &ClientSocket::connected);
    int attempt = 0;
    QObject::connect(&client, &Client::reconnectAttempt, &client, [&] {
        ClientOptions next = client.options();
        next.query = QUrlQuery();
        next.query.addQueryItem(u"token"_s, u"second-%1"_s.arg(++attempt));
        next.extraHeaders = {{QByteArray("X-Token"), QByteArray("h2")}};
        next.reconnectionAttempts = 0;   // zero means the default here too
        client.setOptions(next);
    });
    QTRY_COMPARE(connected.size(), 1);
    QCOMPARE(tokens, QStringList{u"first"_s});
    serverSockets->first()->conn()->abort();
    QTRY_COMPARE(connected.size(), 2);
    QCOMPARE(tokens, (QStringList{u"first"_s, u"second-1"_s}));
    QCOMPARE(headers, (QStringList{u"h1"_s, u"h2"_s}));
    QCOMPARE(client.options().query.queryItemValue(u"token"_s), u"second-1"_s);
    QCOMPARE(client.options().reconnectionAttempts, -1);
    QCOMPARE(client.options().reconnectionDelay, 1ms);
}

void tst_Client::connectsAndExchangesEvents()
{
    auto io = sioStartServer();
    QVERIFY(io);
    auto *serverSockets = collectSockets(io->of(u"/"_s));
    QList<QCborArray> serverReceived;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        s->on(u"hello"_s, s, [&](const Message &m) { serverReceived.append(m.args()); });
    });

    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    QCOMPARE(socket->namespaceName(), u"/"_s);
    QVERIFY(!socket->isConnected());
    QCOMPARE(client.state(), Client::State::Closed);   // nothing happens inside the constructor
    QSignalSpy connected(socket, &ClientSocket::connected);
    QSignalSpy opened(&client, &Client::opened);
    QSignalSpy received(socket, &ClientSocket::eventReceived);
    QSignalSpy sent(socket, &ClientSocket::eventSent);
    QStringList handled;
    socket->on(u"greeting"_s, socket, [&](const Message &m) { handled.append(m.args().at(0).toString()); });

    QTRY_COMPARE(connected.size(), 1);
    QCOMPARE(opened.size(), 1);
    QVERIFY(socket->isConnected());
    QVERIFY(socket->isActive());
    QVERIFY(!socket->isRecovered());
    QCOMPARE(client.state(), Client::State::Open);
    QCOMPARE(serverSockets->size(), 1);
    QCOMPARE(socket->id(), serverSockets->first()->id());

    QVERIFY(socket->emitEvent(u"hello"_s, {1, u"two"_s, QCborMap{{u"three"_s, true}}}));
    QCOMPARE(sent.size(), 1);
    QCOMPARE(sent.first().at(0).toString(), u"hello"_s);
    QTRY_COMPARE(serverReceived.size(), 1);
    QCOMPARE(serverReceived.first(), (QCborArray{1, u"two"_s, QCborMap{{u"three"_s, true}}}));

    QVERIFY(serverSockets->first()->emitEvent(u"greeting"_s, {u"hi"_s, 2}));
    QTRY_COMPARE(handled, QStringList{u"hi"_s});
    QCOMPARE(received.size(), 1);
    const auto message = received.first().at(0).value<Message>();
    QCOMPARE(message.event(), u"greeting"_s);
    QCOMPARE(message.args(), (QCborArray{u"hi"_s, 2}));
    QVERIFY(!message.needsAck());
    QCOMPARE(message.clientSocket(), socket);
    QCOMPARE(message.socket(), nullptr);

    // reserved names are refused on our side
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reserved event name"_s));
    QVERIFY(!socket->emitEvent(u"disconnect"_s));
}

void tst_Client::acksBothWays()
{
    auto io = sioStartServer();
    QVERIFY(io);
    auto *serverSockets = collectSockets(io->of(u"/"_s));
    QObject::connect(io.get(), &Server::connection, io.get(), [](Socket *s) {
        s->on(u"sum"_s, s, [](const Message &m) {
            m.ack({m.args().at(0).toInteger() + m.args().at(1).toInteger(), u"ok"_s});
        });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    socket->on(u"question"_s, socket, [](const Message &m) {
        QVERIFY(m.needsAck());
        QVERIFY(m.ack({u"answer"_s, m.args().at(0)}));
        QVERIFY(!m.ack({u"twice"_s}));   // at most once
    });
    // an ack refused for more than 10 binaries is not used up: it may go again with fewer
    socket->on(u"binaries"_s, socket, [](const Message &m) {
        QCborArray buffers;
        for (int i = 0; i < 11; ++i)
            buffers.append(QCborValue(QByteArray(1, char(i))));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"11 binary values"_s));
        QVERIFY(!m.ack(buffers));
        QVERIFY(!m.isAcknowledged());
        buffers.removeLast();
        QVERIFY(m.ack(buffers));
        QVERIFY(m.isAcknowledged());
    });
    QTRY_VERIFY(socket->isConnected());

    // client -> server, acked by the server
    AckReply *reply = socket->emitWithAck(u"sum"_s, {2, 3}, 5s);
    const auto replyHolder = keep(reply);
    QVERIFY(!reply->isFinished());
    QSignalSpy finished(reply, &AckReply::finished);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(reply->error(), AckReply::Error::NoError);
    QCOMPARE(reply->args(), (QCborArray{5, u"ok"_s}));

    // a second one uses the next ack id (per-socket counter)
    AckReply *second = socket->emitWithAck(u"sum"_s, {10, 20});
    const auto secondHolder = keep(second);
    QSignalSpy secondFinished(second, &AckReply::finished);
    QTRY_COMPARE(secondFinished.size(), 1);
    QCOMPARE(second->args().at(0).toInteger(), 30);

    // server -> client, acked by the client
    AckReply *serverReply = serverSockets->first()->emitWithAck(u"question"_s, {42}, 5s);
    const auto serverReplyHolder = keep(serverReply);
    QSignalSpy serverFinished(serverReply, &AckReply::finished);
    QTRY_COMPARE(serverFinished.size(), 1);
    QCOMPARE(serverReply->error(), AckReply::Error::NoError);
    QCOMPARE(serverReply->args(), (QCborArray{u"answer"_s, 42}));
    AckReply *binariesReply = serverSockets->first()->emitWithAck(u"binaries"_s, {}, 5s);
    const auto binariesHolder = keep(binariesReply);
    QSignalSpy binariesFinished(binariesReply, &AckReply::finished);
    QTRY_COMPARE(binariesFinished.size(), 1);
    QCOMPARE(binariesReply->error(), AckReply::Error::NoError);
    QCOMPARE(binariesReply->args().size(), 10);
    QCOMPARE(binariesReply->args().at(9), QCborValue(QByteArray(1, char(9))));

    // refused emits finish later, never synchronously
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reserved event name"_s));
    AckReply *refused = socket->emitWithAck(u"connect"_s);
    const auto refusedHolder = keep(refused);
    QVERIFY(!refused->isFinished());
    QSignalSpy refusedFinished(refused, &AckReply::finished);
    QTRY_COMPARE(refusedFinished.size(), 1);
    QCOMPARE(refused->error(), AckReply::Error::NotSent);
}

void tst_Client::ackTimesOutAndDisconnectRejects()
{
    auto io = sioStartServer();
    QVERIFY(io);
    auto *serverSockets = collectSockets(io->of(u"/"_s));
    int ignoredSeen = 0;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        s->on(u"ignored"_s, s, [&](const Message &) { ++ignoredSeen; });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    QTRY_VERIFY(socket->isConnected());

    // nobody acks "ignored"
    AckReply *reply = socket->emitWithAck(u"ignored"_s, {}, 150ms);
    auto replyHolder = keep(reply);
    QSignalSpy finished(reply, &AckReply::finished);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(reply->error(), AckReply::Error::Timeout);
    QCOMPARE(reply->errorString(), u"operation has timed out"_s);

    // a pending ack is rejected when the socket disconnects
    AckReply *pending = socket->emitWithAck(u"ignored"_s, {}, 10s);
    const auto pendingHolder = keep(pending);
    QSignalSpy pendingFinished(pending, &AckReply::finished);
    // ... and several are, in the order they were sent (socket.io-client: ascending ack ids)
    QList<int> failedOrder;
    std::vector<std::unique_ptr<AckReply>> more;
    for (int i = 0; i < 20; ++i) {
        AckReply *r = socket->emitWithAck(u"ignored"_s, {}, 10s);
        more.push_back(keep(r));
        QObject::connect(r, &AckReply::finished, r, [&failedOrder, i] { failedOrder.append(i); });
    }
    QTRY_COMPARE(ignoredSeen, 2 + 20);
    serverSockets->first()->disconnect();
    QTRY_COMPARE(pendingFinished.size(), 1);
    QCOMPARE(pending->error(), AckReply::Error::Disconnected);
    QCOMPARE(pending->errorString(), u"socket has been disconnected"_s);
    QTRY_COMPARE(failedOrder.size(), 20);
    QList<int> ascending(20);
    std::iota(ascending.begin(), ascending.end(), 0);
    QCOMPARE(failedOrder, ascending);
}

void tst_Client::binaryBothWays()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QObject::connect(io.get(), &Server::connection, io.get(), [](Socket *s) {
        s->on(u"echo"_s, s, [s](const Message &m) {
            s->emitEvent(u"echo-back"_s, m.args());
            if (m.needsAck())
                m.ack({QCborValue(QByteArray("\x00\xff", 2))});
        });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    QList<QCborArray> echoed;
    socket->on(u"echo-back"_s, socket, [&](const Message &m) { echoed.append(m.args()); });
    QTRY_VERIFY(socket->isConnected());

    const QCborArray payload{QCborValue(QByteArray("\x01\x02\x03", 3)),
                             QCborMap{{u"nested"_s, QCborValue(QByteArray(1000, 'x'))}, {u"n"_s, 1}},
                             u"text"_s};
    QVERIFY(socket->emitEvent(u"echo"_s, payload));
    QTRY_COMPARE(echoed.size(), 1);
    QCOMPARE(echoed.first(), payload);

    AckReply *reply = socket->emitWithAck(u"echo"_s, {QCborValue(QByteArray("ab"))}, 5s);
    const auto replyHolder = keep(reply);
    QSignalSpy finished(reply, &AckReply::finished);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(reply->args(), (QCborArray{QCborValue(QByteArray("\x00\xff", 2))}));

    // never more than 10 attachments
    QCborArray tooMany;
    for (int i = 0; i < 11; ++i)
        tooMany.append(QCborValue(QByteArray(1, char(i))));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"11 binary values"_s));
    QVERIFY(!socket->emitEvent(u"echo"_s, tooMany));
    tooMany.removeLast();
    QVERIFY(socket->emitEvent(u"echo"_s, tooMany));
    QTRY_COMPARE(echoed.size(), 3);
    QCOMPARE(echoed.last(), tooMany);
}

void tst_Client::namespacesShareOneEngineSession()
{
    auto io = sioStartServer();
    QVERIFY(io);
    auto *mainSockets = collectSockets(io->of(u"/"_s));
    auto *adminSockets = collectSockets(io->of(u"/admin"_s));
    QObject::connect(io->of(u"/admin"_s), &Namespace::connection, io.get(), [](Socket *s) {
        s->on(u"where"_s, s, [s](const Message &m) { m.ack({s->nsp()->name()}); });
    });
    QObject::connect(io.get(), &Server::connection, io.get(), [](Socket *s) {
        s->on(u"where"_s, s, [s](const Message &m) { m.ack({s->nsp()->name()}); });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *main = client.socket();
    ClientSocket *admin = client.socket(u"admin"_s);   // the leading '/' is added
    QCOMPARE(admin->namespaceName(), u"/admin"_s);
    QCOMPARE(client.socket(u"/admin"_s), admin);
    QCOMPARE(client.sockets().size(), 2);
    QTRY_VERIFY(main->isConnected() && admin->isConnected());
    QCOMPARE(mainSockets->size(), 1);
    QCOMPARE(adminSockets->size(), 1);
    QVERIFY(main->id() != admin->id());
    QCOMPARE(io->engine()->clientsCount(), 1);
    QCOMPARE(mainSockets->first()->conn(), adminSockets->first()->conn());

    AckReply *a = admin->emitWithAck(u"where"_s);
    const auto aHolder = keep(a);
    AckReply *m = main->emitWithAck(u"where"_s);
    const auto mHolder = keep(m);
    QSignalSpy aFinished(a, &AckReply::finished);
    QSignalSpy mFinished(m, &AckReply::finished);
    QTRY_VERIFY(aFinished.size() == 1 && mFinished.size() == 1);
    QCOMPARE(a->args(), (QCborArray{u"/admin"_s}));
    QCOMPARE(m->args(), (QCborArray{u"/"_s}));

    // leaving one namespace keeps the engine for the other
    QSignalSpy mainDisconnected(main, &ClientSocket::disconnected);
    main->close();
    QCOMPARE(mainDisconnected.size(), 1);
    QCOMPARE(mainDisconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::IoClientDisconnect);
    QTRY_VERIFY(!mainSockets->first());
    QVERIFY(admin->isConnected());
    QCOMPARE(client.state(), Client::State::Open);
}

void tst_Client::authValueAndAsynchronousCallback()
{
    auto io = sioStartServer();
    QVERIFY(io);
    auto *mainSockets = collectSockets(io->of(u"/"_s));
    auto *asyncSockets = collectSockets(io->of(u"/async"_s));
    Client client(urlFor(io->serverPort()), rowOptions());
    SocketIo::ClientSocketOptions valueOptions;
    valueOptions.auth = QCborMap{{u"token"_s, u"abc"_s}};
    ClientSocket *main = client.socket(u"/"_s, valueOptions);
    SocketIo::ClientSocketOptions callbackOptions;
    int calls = 0;
    callbackOptions.authCallback = [&](const std::function<void(const QCborMap &)> &done) {
        ++calls;
        QTimer::singleShot(10, &client, [done] { done(QCborMap{{u"token"_s, u"later"_s}, {u"n"_s, 7}}); });
    };
    ClientSocket *async = client.socket(u"/async"_s, callbackOptions);
    QTRY_VERIFY(main->isConnected() && async->isConnected());
    QCOMPARE(calls, 1);
    QCOMPARE(mainSockets->first()->handshake().auth, (QCborMap{{u"token"_s, u"abc"_s}}));
    QCOMPARE(asyncSockets->first()->handshake().auth, (QCborMap{{u"token"_s, u"later"_s}, {u"n"_s, 7}}));
    QCOMPARE(main->auth(), (QCborMap{{u"token"_s, u"abc"_s}}));
}

void tst_Client::middlewareRefusalIsConnectErrorWithData()
{
    auto io = sioStartServer();
    QVERIFY(io);
    int attempts = 0;
    io->of(u"/private"_s)->use([&](Socket *, const Next &next) {
        ++attempts;
        next(u"not authorized"_s, QCborMap{{u"reason"_s, u"bad token"_s}});
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *main = client.socket();
    ClientSocket *priv = client.socket(u"/private"_s);
    QSignalSpy errors(priv, &ClientSocket::connectError);
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors.first().at(0).toString(), u"not authorized"_s);
    QCOMPARE(errors.first().at(1).value<QCborValue>(), QCborValue(QCborMap{{u"reason"_s, u"bad token"_s}}));
    QVERIFY(!priv->isActive());
    QVERIFY(!priv->isConnected());
    QTRY_VERIFY(main->isConnected());
    QCOMPARE(client.state(), Client::State::Open);   // the other namespace keeps the connection
    QCOMPARE(attempts, 1);
    // no automatic retry; an explicit open() tries again
    priv->open();
    QVERIFY(priv->isActive());
    QTRY_COMPARE(errors.size(), 2);
    QCOMPARE(attempts, 2);
}

void tst_Client::byteArraysInConnectAndConnectErrorAreNullWithAWarning()
{
    // CONNECT and CONNECT_ERROR are plain JSON (socket.io-parser makes attachments of EVENT and
    // ACK only): byte arrays in the auth or in a refusal's data cannot travel. They go as null,
    // and the side that wrote them says so.
    auto io = sioStartServer();
    QVERIFY(io);
    QList<QCborMap> auths;
    io->of(u"/private"_s)->use([&](Socket *s, const Next &next) {
        auths.append(s->handshake().auth);
        next(u"no"_s, QCborMap{{u"key"_s, QByteArray("\x01\x02")}, {u"n"_s, 1}});
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    SocketIo::ClientSocketOptions socketOptions;
    socketOptions.auth = QCborMap{{u"token"_s, QByteArray("\xff")}, {u"user"_s, u"u"_s}};
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"auth of \"/private\" holds byte arrays"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"refusal's data for namespace \"/private\" holds byte arrays"_s));
    ClientSocket *priv = client.socket(u"/private"_s, socketOptions);
    QSignalSpy errors(priv, &ClientSocket::connectError);
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(auths, (QList<QCborMap>{QCborMap{{u"token"_s, QCborValue(nullptr)}, {u"user"_s, u"u"_s}}}));
    QCOMPARE(errors.first().at(1).value<QCborValue>(),
             QCborValue(QCborMap{{u"key"_s, QCborValue(nullptr)}, {u"n"_s, 1}}));
}

void tst_Client::unknownNamespaceIsConnectError()
{
    auto io = sioStartServer();
    QVERIFY(io);
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket(u"/nowhere"_s);
    QSignalSpy errors(socket, &ClientSocket::connectError);
    QSignalSpy closed(&client, &Client::closed);
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors.first().at(0).toString(), u"Invalid namespace"_s);
    QVERIFY(!socket->isActive());
    // it was the only socket: the client closes the engine, on purpose (no reconnection)
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(closed.first().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QCOMPARE(client.state(), Client::State::Closed);
}

void tst_Client::eventsBeforeConnectReplyAreDelivered()
{
    // as socket.io does for recovered packets and for emits from middlewares: EVENTs first,
    // then the CONNECT reply (our Server drops emits made inside middlewares, so a fake server)
    auto engine = fakeServer([](SocketIo::EngineSession *session, int, const QByteArray &) {
        session->sendText(R"(2["early",1])");
        session->sendMessages(R"(51-["early",2,{"_placeholder":true,"num":0}])", {QByteArray("\x07", 1)});
        session->sendText(R"(0{"sid":"ssssssssssssssssssss"})");
        session->sendText(R"(2["late",3])");
    });
    QVERIFY(engine);
    ClientOptions options = rowOptions();
    Client client(urlFor(engine->serverPort()), options);
    ClientSocket *socket = client.socket();
    QStringList order;
    QList<bool> connectedWhenReceived;
    QObject::connect(socket, &ClientSocket::eventReceived, socket, [&](const Message &m) {
        order.append(m.event() + QString::number(m.args().at(0).toInteger()));
        connectedWhenReceived.append(socket->isConnected());
    });
    QObject::connect(socket, &ClientSocket::connected, socket, [&] { order.append(u"connected"_s); });
    QTRY_COMPARE(order.size(), 4);
    // as socket.io-client: buffered, then delivered when the CONNECT reply arrives, before "connect"
    QCOMPARE(order, (QStringList{u"early1"_s, u"early2"_s, u"connected"_s, u"late3"_s}));
    QCOMPARE(connectedWhenReceived, (QList<bool>{true, true, true}));
    QCOMPARE(socket->id(), u"ssssssssssssssssssss"_s);
}

void tst_Client::emitsWhileDisconnectedAreBufferedVolatileDropped()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QStringList serverReceived;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        QObject::connect(s, &Socket::eventReceived, s, [&](const Message &m) {
            serverReceived.append(m.event() + u":"_s + m.args().at(0).toString());
        });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    QSignalSpy sent(socket, &ClientSocket::eventSent);
    QVERIFY(socket->emitEvent(u"buffered"_s, {u"one"_s}));
    QVERIFY(!socket->emitEvent(u"volatile"_s, {u"dropped"_s}, ClientSocket::Volatile));
    QVERIFY(socket->emitEvent(u"buffered"_s, {u"two"_s}));
    AckReply *reply = socket->emitWithAck(u"buffered"_s, {u"three"_s});
    const auto replyHolder = keep(reply);
    QSignalSpy replyFinished(reply, &AckReply::finished);
    QCOMPARE(sent.size(), 0);   // eventSent when they really go out
    QTRY_COMPARE(serverReceived.size(), 3);
    QCOMPARE(serverReceived, (QStringList{u"buffered:one"_s, u"buffered:two"_s, u"buffered:three"_s}));
    QCOMPARE(sent.size(), 3);
    QCOMPARE(replyFinished.size(), 0);   // nobody acked, nothing rejected
    // once connected, a volatile emit goes out when the transport is writable
    QTRY_VERIFY(client.engine()->isWritable());
    QVERIFY(socket->emitEvent(u"volatile"_s, {u"sent"_s}, ClientSocket::Volatile));
    QTRY_COMPARE(serverReceived.size(), 4);
    QCOMPARE(serverReceived.last(), u"volatile:sent"_s);
}

void tst_Client::serverDisconnectDoesNotReconnect()
{
    auto io = sioStartServer();
    QVERIFY(io);
    auto *serverSockets = collectSockets(io->of(u"/"_s));
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QSignalSpy states(&client, &Client::stateChanged);
    QTRY_VERIFY(socket->isConnected());
    serverSockets->first()->disconnect();
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::IoServerDisconnect);
    QVERIFY(!socket->isActive());
    QVERIFY(socket->id().isEmpty());
    // the only socket left: the engine is closed and no reconnection is scheduled
    QCOMPARE(client.state(), Client::State::Closed);
    for (const auto &args : std::as_const(states))
        QVERIFY(args.at(0).value<Client::State>() != Client::State::Reconnecting);
    QCOMPARE(attempts.size(), 0);
    QTRY_COMPARE(io->engine()->clientsCount(), 0);
    QCOMPARE(attempts.size(), 0);
}

void tst_Client::clientCloseLeavesAndClosesEngine()
{
    QList<DisconnectReason> serverReasons;   // outlives the server, whose sockets report into it
    auto io = sioStartServer();
    QVERIFY(io);
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        QObject::connect(s, &Socket::disconnected, s, [&](DisconnectReason r) { serverReasons.append(r); });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy closed(&client, &Client::closed);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QTRY_VERIFY(socket->isConnected());
    socket->close();
    QCOMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::IoClientDisconnect);
    QCOMPARE(closed.size(), 1);
    QCOMPARE(closed.first().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QCOMPARE(client.state(), Client::State::Closed);
    // the DISCONNECT went out before the engine closed
    QTRY_COMPARE(serverReasons, QList<DisconnectReason>{DisconnectReason::ClientNamespaceDisconnect});
    QTRY_COMPARE(io->engine()->clientsCount(), 0);
    QCOMPARE(attempts.size(), 0);
    // and it can come back
    socket->open();
    QTRY_VERIFY(socket->isConnected());
}

void tst_Client::protocolDeadlinesUsePreciseTimers()
{
    // Qt's default coarse timers may fire up to 5 % early or late; the protocol's deadlines are
    // ~1 ms precise in Node (setTimeout) and peers race them (engine.io's protocol suite polls at
    // exactly pingInterval + pingTimeout and expects the session gone). Server and client side.
    auto io = sioStartServer();
    QVERIFY(io);
    auto *serverSockets = collectSockets(io->of(u"/"_s));
    QCOMPARE(SocketIo::ServerPrivate::get(io.get())->connectTimer->timerType(), Qt::PreciseTimer);
    Client client(urlFor(io->serverPort()));
    ClientSocket *socket = client.socket();
    QTRY_VERIFY(socket->isConnected());
    QTRY_COMPARE(serverSockets->size(), 1);

    // the server: every session's heartbeat deadline, and an ack timeout
    const SocketIo::EngineServerPrivate *engine = SocketIo::EngineServerPrivate::get(io->engine());
    QVERIFY(engine->deadlines);
    QVERIFY(engine->deadlines->timer().isActive());
    QCOMPARE(engine->deadlines->timer().timerType(), Qt::PreciseTimer);
    AckReply *serverAck = serverSockets->first()->emitWithAck(u"unanswered"_s, {}, 10s);
    QVERIFY(SocketIo::AckReplyPrivate::get(serverAck)->timer);
    QCOMPARE(SocketIo::AckReplyPrivate::get(serverAck)->timer->timerType(), Qt::PreciseTimer);

    // the client: heartbeat, handshake and close deadlines, the connect timeout, an ack timeout
    const SocketIo::EngineClientPrivate *engineClient = SocketIo::EngineClientPrivate::get(client.engine());
    QVERIFY(engineClient->pingTimer.isActive());
    QCOMPARE(engineClient->pingTimer.timerType(), Qt::PreciseTimer);
    QCOMPARE(engineClient->connectTimer.timerType(), Qt::PreciseTimer);
    QCOMPARE(engineClient->closeTimer.timerType(), Qt::PreciseTimer);
    QCOMPARE(SocketIo::ClientPrivate::get(&client)->connectTimer.timerType(), Qt::PreciseTimer);
    // the backoff delay as computed, as socket.io-client's setTimeout (never 5 % short)
    QCOMPARE(SocketIo::ClientPrivate::get(&client)->reconnectTimer.timerType(), Qt::PreciseTimer);
    AckReply *clientAck = socket->emitWithAck(u"unanswered"_s, {}, 10s);
    QTRY_VERIFY(SocketIo::AckReplyPrivate::get(clientAck)->timer);
    QCOMPARE(SocketIo::AckReplyPrivate::get(clientAck)->timer->timerType(), Qt::PreciseTimer);
}

void tst_Client::closeAndDeleteLaterAfterAPingTimeoutLetsTheClosePacketOut()
{
    // a ping timeout on polling: the engine is closed, its transport still posts the close
    // packet; a closeAndDeleteLater() from the closed() slot waits for that POST, so the server
    // reads "transport close" rather than a request cut off
    QList<DisconnectReason> serverReasons;   // before the server: its sockets report on destruction
    auto io = sioStartServer();
    QVERIFY(io);
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        QObject::connect(s, &Socket::disconnected, s, [&](DisconnectReason r) { serverReasons.append(r); });
    });
    ClientOptions options;
    options.upgrade = false;
    options.reconnection = false;
    QPointer<Client> client = new Client(urlFor(io->serverPort()), options);
    auto deleteOnFailure = qScopeGuard([&client] { delete client.data(); });
    ClientSocket *socket = client->socket();
    QTRY_VERIFY(socket->isConnected());
    QSignalSpy destroyed(client.data(), &QObject::destroyed);
    // once: close() itself reports closed() again
    QObject::connect(client.data(), &Client::closed, client.data(), [&client] { client->closeAndDeleteLater(); },
                     Qt::SingleShotConnection);
    // the machine "sleeps": the wall clock says the ping is long overdue
    SocketIo::EngineClientPrivate::get(client->engine())->wallClock = [] {
        return QDateTime::currentMSecsSinceEpoch() + 3600 * 1000;
    };
    QVERIFY(client->engine()->hasPingExpired());
    QTRY_COMPARE(destroyed.size(), 1);
    QTRY_COMPARE(serverReasons, QList<DisconnectReason>{DisconnectReason::TransportClose});
}

void tst_Client::closeAndDeleteLaterLetsTheDisconnectsOut()
{
    // two namespaces left with ClientSocket::close() (a DISCONNECT each, the second also closes
    // the engine), then closeAndDeleteLater(): the Client lives until its engine has closed, so
    // the server sees both leave with "client namespace disconnect". Deleting it at once aborts
    // the polling POST that carries them ("transport error" on the server).
    QHash<QString, DisconnectReason> serverReasons;   // outlives the server's sockets
    auto io = sioStartServer();
    QVERIFY(io);
    for (const QString &name : {u"/"_s, u"/admin"_s}) {
        QObject::connect(io->of(name), &Namespace::connection, io.get(), [&serverReasons, name](Socket *s) {
            QObject::connect(s, &Socket::disconnected, s,
                             [&serverReasons, name](DisconnectReason r) { serverReasons.insert(name, r); });
        });
    }
    QPointer<Client> client = new Client(urlFor(io->serverPort()), rowOptions());
    auto deleteOnFailure = qScopeGuard([&client] { delete client.data(); });   // null once it went
    QSignalSpy destroyed(client.data(), &QObject::destroyed);
    ClientSocket *main = client->socket(u"/"_s);
    ClientSocket *admin = client->socket(u"/admin"_s);
    QTRY_VERIFY(main->isConnected() && admin->isConnected());
    QCOMPARE(io->engine()->clientsCount(), 1);
    QFETCH(bool, polling);
    QFETCH(bool, websocket);
    if (polling && websocket)   // the upgraded row: leave over the WebSocket the engine moved to
        QTRY_COMPARE(client->engine()->transportName(), u"websocket"_s);

    main->close();
    admin->close();
    client->closeAndDeleteLater();   // the default grace, 10 s
    QCOMPARE(destroyed.size(), 0);   // never inside the call
    // deleted once the engine has closed: well before the grace (QTRY's 5 s)
    QTRY_COMPARE(destroyed.size(), 1);
    QVERIFY(!client);
    QTRY_COMPARE(serverReasons.size(), 2);
    QCOMPARE(SocketIo::reasonString(serverReasons.value(u"/"_s)),
             SocketIo::reasonString(DisconnectReason::ClientNamespaceDisconnect));
    QCOMPARE(SocketIo::reasonString(serverReasons.value(u"/admin"_s)),
             SocketIo::reasonString(DisconnectReason::ClientNamespaceDisconnect));
    QTRY_COMPARE(io->engine()->clientsCount(), 0);
}

void tst_Client::closeAndDeleteLaterWithNothingToSendDeletesAtOnce()
{
    // nothing is waiting to go out: deleted from the event loop, without waiting for the grace
    // (an hour here)
    auto io = sioStartServer();
    QVERIFY(io);

    // never opened
    ClientOptions manual;
    manual.autoConnect = false;
    QPointer<Client> idle = new Client(urlFor(io->serverPort()), manual);
    idle->socket();
    QSignalSpy idleDestroyed(idle.data(), &QObject::destroyed);
    idle->closeAndDeleteLater(1h);
    QCOMPARE(idleDestroyed.size(), 0);   // never inside the call
    QTRY_COMPARE(idleDestroyed.size(), 1);
    QCOMPARE(io->engine()->clientsCount(), 0);

    // its only attempt failed (nobody listens)
    const quint16 port = closedPort();
    QVERIFY(port);
    ClientOptions once;
    once.reconnection = false;
    QPointer<Client> refused = new Client(urlFor(port), once);
    refused->socket();
    QSignalSpy refusedErrors(refused.data(), &Client::errorOccurred);
    QSignalSpy refusedDestroyed(refused.data(), &QObject::destroyed);
    QTRY_COMPARE(refusedErrors.size(), 1);
    QCOMPARE(refused->state(), Client::State::Closed);
    refused->closeAndDeleteLater(1h);
    QTRY_COMPARE(refusedDestroyed.size(), 1);

    // connected, closed with close(), its engine gone
    QPointer<Client> closed = new Client(urlFor(io->serverPort()));
    ClientSocket *socket = closed->socket();
    QSignalSpy closedDestroyed(closed.data(), &QObject::destroyed);
    QTRY_VERIFY(socket->isConnected());
    closed->close();
    QTRY_COMPARE(io->engine()->clientsCount(), 0);
    QTRY_VERIFY(closed->findChildren<SocketIo::EngineClient *>().isEmpty());
    closed->closeAndDeleteLater(1h);
    QTRY_COMPARE(closedDestroyed.size(), 1);
}

void tst_Client::closeAndDeleteLaterGivesUpOnASilentServerAfterGrace_data()
{
    QTest::addColumn<bool>("polling");
    QTest::addColumn<bool>("websocket");
    QTest::addColumn<int>("graceMs");
    QTest::addColumn<bool>("waitsForGrace");
    // the DISCONNECT's POST never gets its response: only the grace ends the wait
    QTest::newRow("polling only: deleted after grace") << true << false << 400 << true;
    // QWebSocket::close() sends its close frame and closes the TCP connection without waiting for
    // the server's: the engine is closed as soon as the kernel took the bytes
    QTest::newRow("websocket only: deleted once the bytes are out") << false << true << 3600000 << false;
}

void tst_Client::closeAndDeleteLaterGivesUpOnASilentServerAfterGrace()
{
    // a server that stops answering (chat-server stopped with SIGSTOP: its kernel still takes
    // the bytes, nothing comes back). On polling the engine would wait for the DISCONNECT's POST
    // until its heartbeat deadline (45 s with chat-server's defaults); closeAndDeleteLater()
    // deletes the Client after grace all the same.
    QFETCH(int, graceMs);
    QFETCH(bool, waitsForGrace);
    ChatServerProcess server;   // killed at the end with SIGKILL, which ends a stopped process too
    QVERIFY2(server.start(), qPrintable(server.error()));

    QPointer<Client> client = new Client(urlFor(server.port()), rowOptions());
    auto deleteOnFailure = qScopeGuard([&client] { delete client.data(); });   // null once it went
    ClientSocket *socket = client->socket();
    QSignalSpy destroyed(client.data(), &QObject::destroyed);
    QTRY_VERIFY(socket->isConnected());
    QTRY_VERIFY(server.out().contains("connected "));
    QCOMPARE(::kill(pid_t(server.pid()), SIGSTOP), 0);

    socket->close();   // DISCONNECT, then the engine closes
    const std::chrono::milliseconds grace(graceMs);
    QElapsedTimer elapsed;
    elapsed.start();
    client->closeAndDeleteLater(grace);
    QCOMPARE(destroyed.size(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(destroyed.size() == 1, (waitsForGrace ? graceMs : 0) + 3000);
    QVERIFY(!client);
    const QString took = u"deleted after %1 ms"_s.arg(elapsed.elapsed());
    if (waitsForGrace)   // it did wait for the engine first (timers may fire a little early)
        QVERIFY2(elapsed.elapsed() >= graceMs * 9 / 10, qPrintable(took));
    else
        QVERIFY2(elapsed.elapsed() < 3000, qPrintable(took));
}

void tst_Client::reconnectsAfterServerRestart()
{
    auto io = sioStartServer();
    QVERIFY(io);
    const quint16 port = io->serverPort();
    Client client(urlFor(port), rowOptions());
    ClientSocket *socket = client.socket();
    QSignalSpy connected(socket, &ClientSocket::connected);
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QSignalSpy reconnected(&client, &Client::reconnected);
    QTRY_COMPARE(connected.size(), 1);
    const QString firstId = socket->id();

    io->close();
    QTRY_COMPARE(disconnected.size(), 1);
    const auto reason = disconnected.first().at(0).value<DisconnectReason>();
    QVERIFY2(reason == DisconnectReason::TransportClose || reason == DisconnectReason::TransportError,
             qPrintable(SocketIo::reasonString(reason)));
    QVERIFY(socket->isActive());
    QTRY_VERIFY(attempts.size() >= 1);
    QCOMPARE(attempts.first().at(0).toInt(), 1);

    // same port again
    QVERIFY(io->listen(QHostAddress::LocalHost, port));
    QTRY_COMPARE(connected.size(), 2);
    QCOMPARE(reconnected.size(), 1);
    QCOMPARE(reconnected.first().at(0).toInt(), attempts.last().at(0).toInt());
    QVERIFY(socket->id() != firstId);
    QCOMPARE(client.state(), Client::State::Open);
}

void tst_Client::reconnectsAfterSessionAbort()
{
    auto io = sioStartServer();
    QVERIFY(io);
    auto *serverSockets = collectSockets(io->of(u"/"_s));
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    QSignalSpy connected(socket, &ClientSocket::connected);
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy reconnected(&client, &Client::reconnected);
    QTRY_COMPARE(connected.size(), 1);
    // buffered while disconnected, flushed after the reconnection
    QStringList received;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        s->on(u"after"_s, s, [&](const Message &m) { received.append(m.args().at(0).toString()); });
    });
    serverSockets->first()->conn()->abort();
    QTRY_COMPARE(disconnected.size(), 1);
    QVERIFY(socket->emitEvent(u"after"_s, {u"buffered"_s}));
    QTRY_COMPARE(connected.size(), 2);
    QCOMPARE(reconnected.size(), 1);
    QTRY_COMPARE(received, QStringList{u"buffered"_s});
}

void tst_Client::reconnectFailedAfterAttemptsAgainstClosedPort()
{
    const quint16 port = closedPort();
    QVERIFY(port);
    ClientOptions options;
    options.reconnectionAttempts = 2;
    options.reconnectionDelay = 20ms;
    options.reconnectionDelayMax = 40ms;
    Client client(urlFor(port), options);
    ClientSocket *socket = client.socket();
    QSignalSpy errors(&client, &Client::errorOccurred);
    QSignalSpy connectErrors(socket, &ClientSocket::connectError);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QSignalSpy reconnectErrors(&client, &Client::reconnectError);
    QSignalSpy failed(&client, &Client::reconnectFailed);
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(attempts.size(), 2);
    QCOMPARE(attempts.at(0).at(0).toInt(), 1);
    QCOMPARE(attempts.at(1).at(0).toInt(), 2);
    QCOMPARE(reconnectErrors.size(), 2);
    QCOMPARE(errors.size(), 3);          // the first attempt and two reconnections
    QCOMPARE(connectErrors.size(), 3);   // the active socket hears of each
    QCOMPARE(client.state(), Client::State::Closed);
    QVERIFY(socket->isActive());
}

void tst_Client::retriesRedeliverUntilAcked()
{
    auto io = sioStartServer();
    QVERIFY(io);
    QList<qint64> ackIds;
    QStringList seen;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        QObject::connect(s, &Socket::eventReceived, s, [&](const Message &m) {
            ackIds.append(m.ackId());
            seen.append(m.event());
            // the first delivery of "job" is lost (no ack); later ones are acked
            if (m.event() == u"job"_s && seen.count(u"job"_s) == 1)
                return;
            m.ack({u"done"_s, m.args().at(0)});
        });
    });
    ClientOptions options = rowOptions();
    Client client(urlFor(io->serverPort()), options);
    SocketIo::ClientSocketOptions socketOptions;
    socketOptions.retries = 3;
    socketOptions.ackTimeout = 200ms;
    ClientSocket *socket = client.socket(u"/"_s, socketOptions);
    QTRY_VERIFY(socket->isConnected());

    AckReply *reply = socket->emitWithAck(u"job"_s, {1});
    const auto replyHolder = keep(reply);
    QSignalSpy finished(reply, &AckReply::finished);
    QVERIFY(socket->emitEvent(u"next"_s, {2}));   // waits behind "job": one packet in flight
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(reply->error(), AckReply::Error::NoError);
    QCOMPARE(reply->args(), (QCborArray{u"done"_s, 1}));
    QTRY_COMPARE(seen, (QStringList{u"job"_s, u"job"_s, u"next"_s}));
    // every queued packet carries an ack id, a new one per try
    QCOMPARE(ackIds, (QList<qint64>{0, 1, 2}));
}

void tst_Client::badInputFromServerClosesAndReconnects_data()
{
    QTest::addColumn<QByteArray>("bad");
    QTest::addColumn<bool>("asReply");
    QTest::newRow("unknown packet type") << QByteArray("9abc") << false;
    QTest::newRow("event payload that is not an array") << QByteArray("2{}") << false;
    QTest::newRow("binary attachment without a header") << QByteArray() << false;
    QTest::newRow("connect reply that is not an object") << QByteArray("0[1]") << true;
}

void tst_Client::badInputFromServerClosesAndReconnects()
{
    QFETCH(QByteArray, bad);
    QFETCH(bool, asReply);
    // the first session gets the bad input (after a good CONNECT reply, or as the reply), the
    // next ones are served properly
    auto engine = fakeServer([bad, asReply](SocketIo::EngineSession *session, int n, const QByteArray &) {
        if (n == 1 && asReply) {
            session->sendText(bad);
            return;
        }
        session->sendText(QByteArray(R"(0{"sid":"fake)") + QByteArray::number(n) + "\"}");
        if (n == 1) {
            if (bad.isEmpty())
                session->sendBinary(QByteArray("\x01", 1));
            else
                session->sendText(bad);
        }
    });
    QVERIFY(engine);
    ClientOptions options;
    options.reconnectionDelay = 20ms;
    options.reconnectionDelayMax = 40ms;
    Client client(urlFor(engine->serverPort()), options);
    ClientSocket *socket = client.socket();
    QSignalSpy connected(socket, &ClientSocket::connected);
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy errors(socket, &ClientSocket::connectError);
    QSignalSpy closed(&client, &Client::closed);
    QSignalSpy reconnected(&client, &Client::reconnected);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u".*closing the connection"_s));
    QTRY_COMPARE(reconnected.size(), 1);
    QTRY_VERIFY(socket->isConnected());
    QCOMPARE(socket->id(), u"fake2"_s);
    QVERIFY(closed.size() >= 1);
    QCOMPARE(closed.first().at(0).value<DisconnectReason>(), DisconnectReason::ParseError);
    // the socket waiting for its reply is disconnected too (socket.io-client: the Manager's close
    // reaches every socket listening on it), without a connect_error
    QCOMPARE(connected.size(), asReply ? 1 : 2);
    QCOMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.first().at(0).value<DisconnectReason>(), DisconnectReason::ParseError);
    QCOMPARE(errors.size(), 0);
}

void tst_Client::strayPacketsAreIgnoredAsSocketIoClientDoes()
{
    // socket.io-client drops a packet for a namespace it never joined, answers a CONNECT reply
    // without a sid (a Socket.IO v2 server) with connect_error only, and takes a second CONNECT
    // reply as a new id and "connect" again: the connection, and the other namespaces on it, go on.
    auto engine = fakeServer([](SocketIo::EngineSession *session, int, const QByteArray &connect) {
        if (connect.startsWith("0/v2,")) {
            session->sendText("0/v2,{}");
            session->sendText(R"(2["after-v2"])");
            return;
        }
        session->sendText(R"(0{"sid":"fake1"})");
        session->sendText(R"(2/nowhere,["stray"])");
        session->sendText(R"(2["after-stray"])");
        session->sendText(R"(0{"sid":"fake1b"})");
        session->sendText(R"(2["after-second-reply"])");
    });
    QVERIFY(engine);
    Client client(urlFor(engine->serverPort()));
    ClientSocket *main = client.socket();
    QStringList received;
    QObject::connect(main, &ClientSocket::eventReceived, main,
                     [&](const Message &m) { received.append(m.event()); });
    QSignalSpy closed(&client, &Client::closed);
    QSignalSpy mainDisconnected(main, &ClientSocket::disconnected);
    QSignalSpy mainConnected(main, &ClientSocket::connected);
    QSignalSpy mainConnectedChanged(main, &ClientSocket::connectedChanged);
    QTRY_COMPARE(received, (QStringList{u"after-stray"_s, u"after-second-reply"_s}));
    QVERIFY(main->isConnected());
    QCOMPARE(main->id(), u"fake1b"_s);
    QCOMPARE(mainConnected.size(), 2);
    QCOMPARE(mainConnectedChanged.size(), 2); // the notifier of the id property too

    ClientSocket *v2 = client.socket(u"/v2"_s);
    QSignalSpy v2Errors(v2, &ClientSocket::connectError);
    QSignalSpy v2Connected(v2, &ClientSocket::connected);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"without a sid"_s));
    v2->open();
    QTRY_COMPARE(v2Errors.size(), 1);
    QVERIFY(v2Errors.first().at(0).toString().contains(u"v2.x"_s));
    // the event behind the bad reply still arrives on the same connection
    QTRY_COMPARE(received, (QStringList{u"after-stray"_s, u"after-second-reply"_s, u"after-v2"_s}));
    QVERIFY(main->isConnected());
    QVERIFY(!v2->isConnected());
    QCOMPARE(v2Connected.size(), 0);
    QCOMPARE(closed.size(), 0);
    QCOMPARE(mainDisconnected.size(), 0);
}

void tst_Client::closeBeforeConnectReplyReportsDisconnected()
{
    // The first session never answers the CONNECT and closes; as in socket.io-client the socket
    // waiting for its reply gets disconnected() (never connectedChanged()), then rejoins.
    auto engine = fakeServer([](SocketIo::EngineSession *session, int n, const QByteArray &) {
        if (n == 1) {
            session->close();
            return;
        }
        session->sendText(R"(0{"sid":"fake2"})");
    });
    QVERIFY(engine);
    ClientOptions options;
    options.reconnectionDelay = 20ms;
    options.reconnectionDelayMax = 40ms;
    Client client(urlFor(engine->serverPort()), options);
    ClientSocket *socket = client.socket();
    QStringList order;
    QObject::connect(socket, &ClientSocket::connectedChanged, socket,
                     [&](bool c) { order.append(c ? u"connected-changed:true"_s : u"connected-changed:false"_s); });
    QObject::connect(socket, &ClientSocket::disconnected, socket,
                     [&](DisconnectReason r, const QString &) { order.append(u"disconnected:"_s + SocketIo::reasonString(r)); });
    QObject::connect(socket, &ClientSocket::connected, socket, [&] { order.append(u"connected"_s); });
    socket->open();
    QTRY_COMPARE(order.size(), 3);
    QCOMPARE(order, (QStringList{u"disconnected:transport close"_s, u"connected-changed:true"_s, u"connected"_s}));
    QCOMPARE(socket->id(), u"fake2"_s);
}

void tst_Client::volatileWaitsForTheConnectReplyWhenWritable()
{
    // socket.io-client drops a volatile emit only when the transport is not writable; on a
    // writable connection whose namespace has not answered yet it is buffered like any other.
    auto io = sioStartServer();
    QVERIFY(io);
    Namespace *slow = io->of(u"/slow"_s);
    std::optional<Next> gate;
    slow->use([&](Socket *, const Next &next) { gate = next; });
    QStringList serverReceived;
    QObject::connect(slow, &Namespace::connection, slow, [&](Socket *s) {
        QObject::connect(s, &Socket::eventReceived, s, [&](const Message &m) {
            serverReceived.append(m.event() + u":"_s + m.args().at(0).toString());
        });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *main = client.socket();
    main->open();
    QTRY_VERIFY(main->isConnected());
    QTRY_VERIFY(client.engine()->isWritable());
    ClientSocket *socket = client.socket(u"/slow"_s);
    socket->open();
    QTRY_VERIFY(gate.has_value());
    QVERIFY(!socket->isConnected());
    QTRY_VERIFY(client.engine()->isWritable());   // polling: the CONNECT's POST has returned
    QVERIFY(socket->emitEvent(u"volatile"_s, {u"buffered"_s}, ClientSocket::Volatile));
    (*gate)();
    QTRY_COMPARE(serverReceived, QStringList{u"volatile:buffered"_s});
}

void tst_Client::overduePingBuffersEmitsAndReconnects_data()
{
    QTest::addColumn<bool>("upgrade");
    QTest::newRow("polling") << false;
    QTest::newRow("websocket after upgrade") << true;
}

void tst_Client::overduePingBuffersEmitsAndReconnects()
{
    // socket.io-client's _hasPingExpired(): after the machine slept, the heartbeat timer has not
    // fired yet but the wall clock says the server's ping is long overdue; an emit then waits in
    // the buffer, the connection closes with "ping timeout", and the emit goes out on the next one.
    // The stale connection is closed properly (engine.io-client's transport.close()): the server
    // reads "transport close", even though the next connection starts (and the closed engine is
    // let go) before the close packet's POST has returned.
    QFETCH(bool, upgrade);
    QList<DisconnectReason> serverReasons;   // before the server: its sockets report on destruction
    auto io = sioStartServer();
    QVERIFY(io);
    QStringList serverReceived;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        QObject::connect(s, &Socket::eventReceived, s, [&](const Message &m) { serverReceived.append(m.event()); });
        QObject::connect(s, &Socket::disconnected, s, [&](DisconnectReason r) { serverReasons.append(r); });
    });
    ClientOptions options;
    options.upgrade = upgrade;
    options.reconnectionDelay = 1ms;
    options.reconnectionDelayMax = 1ms;
    Client client(urlFor(io->serverPort()), options);
    ClientSocket *socket = client.socket();
    QSignalSpy closed(&client, &Client::closed);
    QSignalSpy sent(socket, &ClientSocket::eventSent);
    socket->open();
    QTRY_VERIFY(socket->isConnected());
    if (upgrade)
        QTRY_COMPARE(client.engine()->transportName(), u"websocket"_s);
    QVERIFY(!client.engine()->hasPingExpired());
    // the machine "sleeps" an hour: only the wall clock moves
    const qint64 jump = 3600 * 1000;
    SocketIo::EngineClientPrivate::get(client.engine())->wallClock = [jump] {
        return QDateTime::currentMSecsSinceEpoch() + jump;
    };
    QVERIFY(socket->emitEvent(u"after-sleep"_s, {1}));
    QCOMPARE(sent.size(), 0);   // buffered, not written to the stale connection
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(closed.first().at(0).value<DisconnectReason>(), DisconnectReason::PingTimeout);
    QTRY_COMPARE(serverReceived, QStringList{u"after-sleep"_s});
    QCOMPARE(sent.size(), 1);
    QTRY_COMPARE(serverReasons, QList<DisconnectReason>{DisconnectReason::TransportClose});
}

void tst_Client::chatClientExampleTalksToChatServer()
{
    const QString clientPath = QStringLiteral(SOCKETIO_BINARY_DIR "/examples/chat-client/chat-client");
    QVERIFY2(QFile::exists(clientPath), qPrintable(clientPath));
    ChatServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.error()));

    QProcess client;
    QByteArray clientOut;
    QObject::connect(&client, &QProcess::readyReadStandardOutput, &client,
                     [&] { clientOut += client.readAllStandardOutput(); });
    client.start(clientPath, {urlFor(server.port()).toString()});
    QVERIFY(client.waitForStarted());
    auto killClient = qScopeGuard([&] { client.kill(); client.waitForFinished(); });

    QTRY_VERIFY(clientOut.contains("connect "));
    const QByteArray id = clientOut.mid(clientOut.indexOf("connect ") + 8).split('\n').first();
    QCOMPARE(id.size(), 20);
    client.write("hello \"world\"\n");
    const QByteArray expected = "message [{\"text\":\"hello \\\"world\\\"\",\"user\":\"" + id + "\"}]\n";
    QTRY_VERIFY2(clientOut.contains(expected), clientOut.constData());
    // end of input: the client leaves cleanly and exits
    client.closeWriteChannel();
    QTRY_COMPARE(client.state(), QProcess::NotRunning);
    QCOMPARE(client.exitCode(), 0);
    QVERIFY2(clientOut.endsWith("disconnect io client disconnect\n"), clientOut.constData());
    QTRY_VERIFY(server.out().contains("client namespace disconnect"));
}

void tst_Client::connectTimeoutZeroFailsAtOnceNulloptDisables()
{
    // socket.io-client arms a 0 ms timer for `timeout: 0`: every attempt fails with "timeout"
    // before the handshake can complete; only `false` (std::nullopt here) disables it
    auto io = sioStartServer();
    QVERIFY(io);
    int namespaceConnections = 0;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *) { ++namespaceConnections; });
    ClientOptions options;
    options.timeout = 0ms;
    options.reconnectionAttempts = 2;
    options.reconnectionDelay = 20ms;
    options.reconnectionDelayMax = 40ms;
    Client client(urlFor(io->serverPort()), options);
    ClientSocket *socket = client.socket();
    QSignalSpy errors(&client, &Client::errorOccurred);
    QSignalSpy connectErrors(socket, &ClientSocket::connectError);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QSignalSpy failed(&client, &Client::reconnectFailed);
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(attempts.size(), 2);   // the normal reconnection ran
    QCOMPARE(errors.size(), 3);
    for (const auto &e : std::as_const(errors))
        QCOMPARE(e.at(0).toString(), u"timeout"_s);
    QCOMPARE(connectErrors.size(), 3);
    QCOMPARE(connectErrors.first().at(0).toString(), u"timeout"_s);
    QVERIFY(!socket->isConnected());
    QCOMPARE(namespaceConnections, 0);

    // std::nullopt: no connect timeout at all, the connection simply opens
    ClientOptions noTimeout;
    noTimeout.timeout = std::nullopt;
    Client second(urlFor(io->serverPort()), noTimeout);
    ClientSocket *secondSocket = second.socket();
    QTRY_VERIFY(secondSocket->isConnected());
    QCOMPARE(namespaceConnections, 1);
}

void tst_Client::ackTimeoutZeroTimesOutAtOnce()
{
    auto io = sioStartServer();
    QVERIFY(io);
    io->of(u"/other"_s);
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        // "echo" is acked at once; nothing else is
        s->on(u"echo"_s, s, [](const Message &m) { m.ack(m.args()); });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    ClientSocket *socket = client.socket();
    SocketIo::ClientSocketOptions zeroDefault;
    zeroDefault.ackTimeout = 0ms;
    ClientSocket *other = client.socket(u"/other"_s, zeroDefault);
    QTRY_VERIFY(socket->isConnected() && other->isConnected());

    // socket.timeout(0).emit(..., cb): an Error even though the server would answer
    AckReply *zero = socket->emitWithAck(u"echo"_s, {1}, 0ms);
    const auto zeroHolder = keep(zero);
    QSignalSpy zeroFinished(zero, &AckReply::finished);
    QCOMPARE(zeroFinished.size(), 0);   // never synchronously
    QTRY_COMPARE(zeroFinished.size(), 1);
    QCOMPARE(zero->error(), AckReply::Error::Timeout);

    // ackTimeout 0 as the socket's default does the same
    AckReply *byDefault = other->emitWithAck(u"anything"_s, {2});
    const auto byDefaultHolder = keep(byDefault);
    QSignalSpy byDefaultFinished(byDefault, &AckReply::finished);
    QTRY_COMPARE(byDefaultFinished.size(), 1);
    QCOMPARE(byDefault->error(), AckReply::Error::Timeout);

    // no timeout anywhere (the default): the ack arrives
    AckReply *none = socket->emitWithAck(u"echo"_s, {3});
    const auto noneHolder = keep(none);
    QSignalSpy noneFinished(none, &AckReply::finished);
    QTRY_COMPARE(noneFinished.size(), 1);
    QCOMPARE(none->error(), AckReply::Error::NoError);
    QCOMPARE(none->args(), (QCborArray{3}));
}

void tst_Client::closeBeforeEventLoopOpensNoEngine()
{
    // socket.io-client's destroy() always reaches the Manager: closing the only socket before
    // the event loop ran must cancel the pending auto-open instead of opening an idle engine
    auto io = sioStartServer();
    QVERIFY(io);
    QSignalSpy engineConnections(io->engine(), &SocketIo::EngineServer::connection);
    ClientOptions options;
    options.reconnectionDelay = 20ms;
    options.reconnectionDelayMax = 40ms;
    Client client(urlFor(io->serverPort()), options);
    QSignalSpy states(&client, &Client::stateChanged);
    ClientSocket *socket = client.socket();
    socket->close();
    QVERIFY(!socket->isActive());
    // long enough for a handshake over loopback (a few ms)
    QVERIFY(!engineConnections.wait(500));
    QCOMPARE(states.size(), 0);
    QCOMPARE(client.state(), Client::State::Closed);
    QVERIFY(!client.engine());

    // the socket can still be opened later
    socket->open();
    QTRY_VERIFY(socket->isConnected());
    QCOMPARE(engineConnections.size(), 1);
}

void tst_Client::clientCloseWhileReconnectingStopsAndOpenResumes()
{
    // socket.io-client's manager.disconnect() during the reconnection delay: the timer is
    // cancelled, "close" / "disconnect" with "forced close" again, the sockets stay active, and
    // manager.open() connects them
    auto io = sioStartServer();
    QVERIFY(io);
    const quint16 port = io->serverPort();
    ClientOptions options = rowOptions();
    options.reconnectionDelay = 100ms;
    options.reconnectionDelayMax = 100ms;
    options.randomizationFactor = 0;
    Client client(urlFor(port), options);
    ClientSocket *socket = client.socket();
    QSignalSpy disconnected(socket, &ClientSocket::disconnected);
    QSignalSpy closed(&client, &Client::closed);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QTRY_VERIFY(socket->isConnected());

    io->close();
    QTRY_COMPARE(client.state(), Client::State::Reconnecting);
    QCOMPARE(disconnected.size(), 1);
    QCOMPARE(closed.size(), 1);
    client.close();
    const qsizetype attemptsBefore = attempts.size();   // failed attempts may have run already
    QCOMPARE(client.state(), Client::State::Closed);
    QCOMPARE(closed.size(), 2);
    QCOMPARE(closed.last().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QCOMPARE(disconnected.size(), 2);
    QCOMPARE(disconnected.last().at(0).value<DisconnectReason>(), DisconnectReason::ForcedClose);
    QVERIFY(socket->isActive());
    // the 100 ms delay has long passed: no attempt
    QVERIFY(!attempts.wait(600));
    QCOMPARE(attempts.size(), attemptsBefore);
    QCOMPARE(client.state(), Client::State::Closed);

    QVERIFY(io->listen(QHostAddress::LocalHost, port));
    client.open();
    QTRY_VERIFY(socket->isConnected());
    QCOMPARE(attempts.size(), attemptsBefore);
}

void tst_Client::openFromClosedSlotThenConnectionLossReconnects()
{
    // an application slot on closed() that opens again: that open replaces the reconnection
    // (no Reconnecting state, no reconnectAttempt while connected), and the next connection loss
    // reconnects as usual
    auto io = sioStartServer();
    QVERIFY(io);
    const quint16 port = io->serverPort();
    ClientOptions options = rowOptions();
    options.reconnectionDelay = 100ms;
    options.reconnectionDelayMax = 100ms;
    options.randomizationFactor = 0;
    Client client(urlFor(port), options);
    ClientSocket *socket = client.socket();
    QSignalSpy connected(socket, &ClientSocket::connected);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QSignalSpy reconnected(&client, &Client::reconnected);
    QTRY_COMPARE(connected.size(), 1);

    bool reopen = true;
    QList<Client::State> statesAfterSlot;
    QObject::connect(&client, &Client::closed, &client, [&](DisconnectReason reason) {
        if (reason == DisconnectReason::ForcedClose && reopen) {
            reopen = false;
            client.open();
            statesAfterSlot.append(client.state());
        }
    });
    client.close();
    QCOMPARE(statesAfterSlot, QList<Client::State>{Client::State::Opening});
    QCOMPARE(client.state(), Client::State::Opening);
    QTRY_COMPARE(connected.size(), 2);
    QCOMPARE(client.state(), Client::State::Open);
    // well past the 100 ms reconnection delay: nothing was scheduled
    QVERIFY(!attempts.wait(400));
    QCOMPARE(client.state(), Client::State::Open);

    io->close();
    QTRY_VERIFY(attempts.size() >= 1);
    QCOMPARE(attempts.first().at(0).toInt(), 1);
    QVERIFY(io->listen(QHostAddress::LocalHost, port));
    QTRY_COMPARE(connected.size(), 3);
    QCOMPARE(reconnected.size(), 1);
    QCOMPARE(client.state(), Client::State::Open);
}

void tst_Client::openFromErrorSlotReplacesTheReconnection()
{
    // a failed first attempt whose errorOccurred() slot opens again: no reconnection is scheduled
    // on top of that attempt; when it fails too, the client reconnects as usual
    const quint16 port = closedPort();
    QVERIFY(port);
    ClientOptions options;
    options.reconnectionDelay = 50ms;
    options.reconnectionDelayMax = 50ms;
    options.randomizationFactor = 0;
    Client client(urlFor(port), options);
    ClientSocket *socket = client.socket();
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QStringList events;
    QObject::connect(&client, &Client::stateChanged, &client, [&](Client::State state) {
        events.append(state == Client::State::Reconnecting ? u"reconnecting"_s
                      : state == Client::State::Opening    ? u"opening"_s
                      : state == Client::State::Open       ? u"open"_s
                                                           : u"closed"_s);
    });
    QObject::connect(&client, &Client::errorOccurred, &client, [&] {
        events.append(u"error"_s);
        if (events.count(u"error"_s) == 1)
            client.open();
    });
    QTRY_VERIFY(attempts.size() >= 1);
    QCOMPARE(attempts.first().at(0).toInt(), 1);
    const qsizetype first = events.indexOf(u"error"_s);
    const qsizetype second = events.indexOf(u"error"_s, first + 1);
    QVERIFY2(first >= 0 && second > first, qPrintable(events.join(u' ')));
    // between the two failures: closed, then the slot's attempt, nothing scheduled
    QCOMPARE(events.mid(first, second - first + 1),
             (QStringList{u"error"_s, u"opening"_s, u"closed"_s, u"error"_s}));
    auto io = sioStartServer();
    QVERIFY(io);
    io->close();
    QVERIFY(io->listen(QHostAddress::LocalHost, port));
    QTRY_VERIFY_WITH_TIMEOUT(socket->isConnected(), 10000);
    QCOMPARE(client.state(), Client::State::Open);
}

void tst_Client::zeroReconnectionOptionsMeanTheDefaults()
{
    // socket.io-client: reconnectionAttempts || Infinity, reconnectionDelay || 1000,
    // reconnectionDelayMax || 5000 (a zero is not taken literally)
    const quint16 port = closedPort();
    QVERIFY(port);
    ClientOptions options;
    options.reconnectionAttempts = 0;
    options.reconnectionDelay = 0ms;
    options.reconnectionDelayMax = 0ms;
    options.randomizationFactor = 0;
    Client client(urlFor(port), options);
    QCOMPARE(client.options().reconnectionAttempts, -1);
    QCOMPARE(client.options().reconnectionDelay, 1000ms);
    QCOMPARE(client.options().reconnectionDelayMax, 5000ms);
    ClientSocket *socket = client.socket();
    QSignalSpy errors(&client, &Client::errorOccurred);
    QSignalSpy attempts(&client, &Client::reconnectAttempt);
    QSignalSpy failed(&client, &Client::reconnectFailed);
    QTRY_COMPARE(errors.size(), 1);   // the first attempt: connection refused
    QCOMPARE(failed.size(), 0);       // attempts 0 is not "no reconnection at all"
    QCOMPARE(client.state(), Client::State::Reconnecting);
    // the first delay is 1000 ms (no jitter), not 0
    QVERIFY(!attempts.wait(700));
    QTRY_COMPARE_WITH_TIMEOUT(attempts.size(), 1, 3000);
    QCOMPARE(failed.size(), 0);
    QVERIFY(socket->isActive());
}

void tst_Client::retriesKeepThePerEmitTimeout()
{
    // socket.io-client stores the emit's flags (its timeout) with the queued packet and uses
    // them for every try; the socket has no ackTimeout here, so without that the first try
    // would wait for its ack for ever. Heartbeats are not what this is about: engine.io's defaults,
    // so that a loaded machine does not time a polling client out between the tries.
    SocketIo::ServerOptions options = sioTestOptions();
    options.pingInterval = 25s;
    options.pingTimeout = 20s;
    auto io = sioStartServer(options);
    QVERIFY(io);
    int flakySeen = 0;
    QObject::connect(io.get(), &Server::connection, io.get(), [&](Socket *s) {
        s->on(u"flaky"_s, s, [&](const Message &m) {
            if (++flakySeen == 1)
                return;   // the first delivery is lost
            m.ack({u"ok"_s, flakySeen});
        });
    });
    Client client(urlFor(io->serverPort()), rowOptions());
    SocketIo::ClientSocketOptions socketOptions;
    socketOptions.retries = 2;
    ClientSocket *socket = client.socket(u"/"_s, socketOptions);
    QTRY_VERIFY(socket->isConnected());

    AckReply *reply = socket->emitWithAck(u"flaky"_s, {}, 200ms);
    const auto replyHolder = keep(reply);
    QSignalSpy finished(reply, &AckReply::finished);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(reply->error(), AckReply::Error::NoError);
    QCOMPARE(reply->args(), (QCborArray{u"ok"_s, 2}));
    QCOMPARE(flakySeen, 2);

    // with retries used up, the per-emit timeout fails the reply after 1 + retries tries
    AckReply *lost = socket->emitWithAck(u"lost"_s, {}, 100ms);
    const auto lostHolder = keep(lost);
    QSignalSpy lostFinished(lost, &AckReply::finished);
    QTRY_COMPARE(lostFinished.size(), 1);
    QCOMPARE(lost->error(), AckReply::Error::Timeout);
}

QTEST_GUILESS_MAIN(tst_Client)
#include "tst_client.moc"
