// Interop: the chat-server example, as a separate process, with the seed's JavaScript client
// (the real npm socket.io-client@4): io("http://localhost:PORT"), socket.emit("message", "Hello!").

#include "nodeprocess.h"

#include <QJsonArray>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace Qt::StringLiterals;
using SocketIo::Test::NodeProcess;

class tst_InteropChatServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void messageIsBroadcastWithSender_data();
    void messageIsBroadcastWithSender();
    void joinAnnouncesToTheRoomOnly();
    void servesTheClientBundle();

private:
    std::unique_ptr<NodeProcess> client(const QString &transports = u"polling,websocket"_s);
    QProcess m_server;
    quint16 m_port = 0;
};

void tst_InteropChatServer::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
    // a free port: bind, read it, release it
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        m_port = probe.serverPort();
    }
    const QString program = QStringLiteral(SOCKETIO_BINARY_DIR "/examples/chat-server/chat-server");
    m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_server.start(program, {u"--port"_s, QString::number(m_port), u"--serve-client"_s,
                             QStringLiteral(SOCKETIO_SOURCE_DIR "/node_modules/socket.io-client/dist")});
    QVERIFY2(m_server.waitForStarted(10000), qPrintable(program + u": "_s + m_server.errorString()));
    // listening once a TCP connection to the port succeeds
    QTRY_VERIFY_WITH_TIMEOUT(([this] {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_port);
        return s.waitForConnected(200);
    }()), 10000);
}

void tst_InteropChatServer::cleanupTestCase()
{
    if (m_server.state() != QProcess::NotRunning) {
        m_server.kill();
        m_server.waitForFinished(5000);
    }
}

std::unique_ptr<NodeProcess> tst_InteropChatServer::client(const QString &transports)
{
    auto p = std::make_unique<NodeProcess>();
    p->start(u"client-scenario.js"_s, {u"--url"_s, u"http://localhost:%1"_s.arg(m_port),
                                         u"--transports"_s, transports});
    return p;
}

void tst_InteropChatServer::messageIsBroadcastWithSender_data()
{
    QTest::addColumn<QString>("transports");
    QTest::newRow("polling only") << u"polling"_s;
    QTest::newRow("websocket only") << u"websocket"_s;
    QTest::newRow("polling then upgrade") << u"polling,websocket"_s;
}

void tst_InteropChatServer::messageIsBroadcastWithSender()
{
    QFETCH(QString, transports);
    auto alice = client(transports);
    auto bob = client(transports);
    const QJsonObject a = alice->waitForEvent(u"connect"_s, 15000);
    QVERIFY2(!a.isEmpty(), qPrintable(alice->diagnostics()));
    const QJsonObject b = bob->waitForEvent(u"connect"_s, 15000);
    QVERIFY2(!b.isEmpty(), qPrintable(bob->diagnostics()));

    alice->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message"_s}, {u"args"_s, QJsonArray{u"Hello!"_s}}});
    const QJsonObject expected{{u"user"_s, a.value(u"id")}, {u"text"_s, u"Hello!"_s}};
    for (NodeProcess *p : {alice.get(), bob.get()}) {
        const QJsonObject m = p->waitForReceived(u"message"_s, 15000);
        QVERIFY2(!m.isEmpty(), qPrintable(p->diagnostics()));
        QCOMPARE(m.value(u"args").toArray(), QJsonArray{expected});
    }
}

void tst_InteropChatServer::joinAnnouncesToTheRoomOnly()
{
    auto alice = client();
    auto bob = client();
    const QJsonObject a = alice->waitForEvent(u"connect"_s, 15000);
    QVERIFY2(!a.isEmpty(), qPrintable(alice->diagnostics()));
    const QJsonObject b = bob->waitForEvent(u"connect"_s, 15000);
    QVERIFY2(!b.isEmpty(), qPrintable(bob->diagnostics()));

    alice->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"lobby"_s}}});
    const QJsonObject joined = alice->waitForReceived(u"joined"_s, 15000);
    QVERIFY2(!joined.isEmpty(), qPrintable(alice->diagnostics()));
    QCOMPARE(joined.value(u"args").toArray(), QJsonArray{a.value(u"id")});

    bob->send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"join"_s}, {u"args"_s, QJsonArray{u"lobby"_s}}});
    for (NodeProcess *p : {alice.get(), bob.get()}) {
        const QJsonObject j = p->waitForLine([&b](const QJsonObject &l) {
            return l.value(u"event").toString() == u"event" && l.value(u"name").toString() == u"joined"
                && l.value(u"args").toArray() == QJsonArray{b.value(u"id")};
        }, 15000);
        QVERIFY2(!j.isEmpty(), qPrintable(p->diagnostics()));
    }
    // bob did not see alice's join, which happened before he was in the room
    for (const QJsonObject &l : bob->lines())
        QVERIFY(!(l.value(u"name").toString() == u"joined" && l.value(u"args").toArray() == QJsonArray{a.value(u"id")}));
}

void tst_InteropChatServer::servesTheClientBundle()
{
    // --serve-client: a page can load /socket.io/socket.io.js from the chat server
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(socket.waitForConnected(5000));
    QByteArray received;
    connect(&socket, &QTcpSocket::readyRead, &socket, [&] { received += socket.readAll(); });
    socket.write("GET /socket.io/socket.io.min.js HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    QTRY_VERIFY(socket.state() == QAbstractSocket::UnconnectedState || received.contains("\r\n\r\n"));
    QVERIFY2(received.startsWith("HTTP/1.1 200"), received.left(200).constData());
    QVERIFY(received.toLower().contains("content-type: application/javascript"));
}

QTEST_MAIN(tst_InteropChatServer)
#include "tst_interop_chatserver.moc"
