// The Engine.IO layer works on its own: this program links only the engine layer's objects and
// SocketIo::Protocol (see CMakeLists.txt), so it also proves the layer depends on nothing above it.

#include <SocketIo/engineclient.h>
#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>

#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;

class tst_LayeringEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void engineClientTalksToEngineServerWithoutUpperLayers();
};

void tst_LayeringEngine::engineClientTalksToEngineServerWithoutUpperLayers()
{
    SocketIo::EngineServer server;
    QVERIFY2(server.listen(QHostAddress::LocalHost, 0), qPrintable(server.errorString()));
    QObject::connect(&server, &SocketIo::EngineServer::connection, &server,
                     [](SocketIo::EngineSession *session) {
        QObject::connect(session, &SocketIo::EngineSession::textMessageReceived, session,
                         [session](const QByteArray &text) { session->sendText("echo " + text); });
    });

    SocketIo::EngineClient client;
    client.setUrl(QUrl(u"http://127.0.0.1:%1"_s.arg(server.serverPort())));
    QSignalSpy opened(&client, &SocketIo::EngineClient::opened);
    QSignalSpy texts(&client, &SocketIo::EngineClient::textMessageReceived);
    client.open();
    QTRY_COMPARE(opened.size(), 1);
    client.sendText("hello");
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts.first().first().toByteArray(), QByteArray("echo hello"));
    client.close();
}

QTEST_GUILESS_MAIN(tst_LayeringEngine)
#include "tst_layering_engine.moc"
