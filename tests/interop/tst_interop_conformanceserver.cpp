// The conformance-server example, as a separate process, in both modes: --socketio with the real
// npm socket.io-client (auth event, message-back, message-with-ack, /custom, Invalid namespace),
// and --engineio with our EngineClient (text and binary echoed as they were sent).

#include "nodeprocess.h"

#include <SocketIo/engineclient.h>

#include <QJsonArray>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using SocketIo::Test::NodeProcess;

class tst_InteropConformanceServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void socketIoModeAnswersLikeTheReferenceServer();
    void engineIoModeEchoesTextAndBinary();

private:
    bool startServer(const QString &mode);
    QProcess m_server;
    quint16 m_port = 0;
};

void tst_InteropConformanceServer::initTestCase()
{
    SOCKETIO_REQUIRE_NODE();
}

void tst_InteropConformanceServer::cleanup()
{
    if (m_server.state() != QProcess::NotRunning) {
        m_server.kill();
        m_server.waitForFinished(5000);
    }
}

bool tst_InteropConformanceServer::startServer(const QString &mode)
{
    {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return false;
        m_port = probe.serverPort();
    }
    const QString program = QStringLiteral(SOCKETIO_BINARY_DIR "/examples/conformance-server/conformance-server");
    m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_server.start(program, {mode, u"--port"_s, QString::number(m_port)});
    if (!m_server.waitForStarted(10000)) {
        qWarning("%s: %s", qPrintable(program), qPrintable(m_server.errorString()));
        return false;
    }
    return QTest::qWaitFor([this] {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_port);
        return s.waitForConnected(200);
    }, 10000);
}

void tst_InteropConformanceServer::socketIoModeAnswersLikeTheReferenceServer()
{
    QVERIFY(startServer(u"--socketio"_s));
    NodeProcess client;
    QVERIFY(client.start(u"client-scenario.js"_s,
                         {u"--url"_s, u"http://localhost:%1"_s.arg(m_port), u"--auth"_s, u"{\"token\":\"t1\"}"_s}));
    QVERIFY2(!client.waitForEvent(u"connect"_s, 15000).isEmpty(), qPrintable(client.diagnostics()));
    const QJsonObject auth = client.waitForReceived(u"auth"_s, 15000);
    QVERIFY2(!auth.isEmpty(), qPrintable(client.diagnostics()));
    QCOMPARE(auth.value(u"args").toArray(), (QJsonArray{QJsonObject{{u"token"_s, u"t1"_s}}}));

    const QJsonArray args{1, u"2"_s, QJsonObject{{u"3"_s, QJsonArray{false}}}, NodeProcess::binary("\x01\x02")};
    client.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message"_s}, {u"args"_s, args}});
    const QJsonObject back = client.waitForReceived(u"message-back"_s, 15000);
    QVERIFY2(!back.isEmpty(), qPrintable(client.diagnostics()));
    QCOMPARE(back.value(u"args").toArray(), args);

    client.send({{u"cmd"_s, u"emit"_s}, {u"event"_s, u"message-with-ack"_s}, {u"args"_s, args},
                 {u"ack"_s, true}, {u"timeout"_s, 10000}, {u"id"_s, 1}});
    const QJsonObject ack = client.waitForEvent(u"ack"_s, 15000);
    QVERIFY2(!ack.isEmpty(), qPrintable(client.diagnostics()));
    QCOMPARE(ack.value(u"args").toArray(), args);

    client.send({{u"cmd"_s, u"socket"_s}, {u"namespace"_s, u"/custom"_s}});
    const QJsonObject customAuth = client.waitForLine([](const QJsonObject &l) {
        return l.value(u"event").toString() == u"event" && l.value(u"namespace").toString() == u"/custom"
            && l.value(u"name").toString() == u"auth";
    }, 15000);
    QVERIFY2(!customAuth.isEmpty(), qPrintable(client.diagnostics()));

    client.send({{u"cmd"_s, u"socket"_s}, {u"namespace"_s, u"/random"_s}});
    const QJsonObject refused = client.waitForLine([](const QJsonObject &l) {
        return l.value(u"event").toString() == u"connect_error" && l.value(u"namespace").toString() == u"/random";
    }, 15000);
    QVERIFY2(!refused.isEmpty(), qPrintable(client.diagnostics()));
    QCOMPARE(refused.value(u"message").toString(), u"Invalid namespace"_s);
}

void tst_InteropConformanceServer::engineIoModeEchoesTextAndBinary()
{
    QVERIFY(startServer(u"--engineio"_s));
    SocketIo::EngineClient client;
    client.setUrl(QUrl(u"http://127.0.0.1:%1"_s.arg(m_port)));   // default path /engine.io/
    QSignalSpy opened(&client, &SocketIo::EngineClient::opened);
    QSignalSpy texts(&client, &SocketIo::EngineClient::textMessageReceived);
    QSignalSpy binaries(&client, &SocketIo::EngineClient::binaryMessageReceived);
    client.open();
    QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 10000);
    QCOMPARE(client.pingInterval(), 300);
    QCOMPARE(client.pingTimeout(), 200);
    QCOMPARE(client.maxPayload(), 1000000);
    client.sendText("hello");
    client.sendBinary(QByteArray("\x00\x01\xff", 3));
    QTRY_COMPARE_WITH_TIMEOUT(texts.size(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(binaries.size(), 1, 10000);
    QCOMPARE(texts.first().first().toByteArray(), QByteArray("hello"));
    QCOMPARE(binaries.first().first().toByteArray(), QByteArray("\x00\x01\xff", 3));
    client.close();
}

QTEST_MAIN(tst_InteropConformanceServer)
#include "tst_interop_conformanceserver.moc"
