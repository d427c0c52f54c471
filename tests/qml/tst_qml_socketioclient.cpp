// Qt Quick Test runner for the QML module SocketIo: runs every tst_*.qml of this folder against an
// in-process SocketIo::Server (testserver.h), exposed to QML as the context property "testServer".

#include "testserver.h"

#include <QQmlContext>
#include <QQmlEngine>
#include <QtQuickTest>

#include <memory>

using namespace Qt::StringLiterals;

/*! The QUICK_TEST_MAIN_WITH_SETUP hook: starts the server once the application exists, hands it
    to each QML engine, and stops it before the application goes. */
class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void applicationAvailable()
    {
        m_server = std::make_unique<TestServer>();
        if (!m_server->isListening())
            qFatal("the test server could not listen on a loopback port");
    }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->rootContext()->setContextProperty(u"testServer"_s, m_server.get());
    }

    void cleanupTestCase() { m_server.reset(); }

private:
    std::unique_ptr<TestServer> m_server;
};

QUICK_TEST_MAIN_WITH_SETUP(tst_qml_socketioclient, Setup)

#include "tst_qml_socketioclient.moc"
