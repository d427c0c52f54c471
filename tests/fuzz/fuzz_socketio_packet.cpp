// libFuzzer target for the Socket.IO packet decoder (protocol/socketiopacket).
//
// Input format: Engine.IO-like messages separated by 0x1e; a message starting with 'b' is a
// binary message (the rest, raw), any other a text message. Every packet that decodes is encoded
// again and decoded again: the second encoding must equal the first (encode is a fixed point of
// decode), and type, namespace and ack id must survive. The server's decoder (event name read
// apart, Decoder::setSeparateEventName) is fed the same messages and must agree with the plain one:
// same results and errors, the same packet once the name is put back in front of the arguments.
#include "protocol/json.h"
#include "protocol/socketiopacket.h"

#include <QCborArray>
#include <QCborMap>

#include <cmath>
#include <cstdlib>

using namespace SocketIo::Protocol;

namespace {

// JSON.parse can produce Infinity (1e400), which JSON.stringify writes as null: such a packet
// may legitimately fail to decode again (an EVENT whose name became null).
bool hasNonFinite(const QCborValue &v)
{
    if (v.isDouble())
        return !std::isfinite(v.toDouble());
    if (v.isArray()) {
        for (const QCborValue &e : v.toArray())
            if (hasNonFinite(e))
                return true;
    }
    if (v.isMap()) {
        const QCborMap map = v.toMap();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it)
            if (hasNonFinite(it.value()))
                return true;
    }
    return false;
}

bool decodeEncoded(const EncodedPacket &encoded, Packet *out)
{
    Decoder decoder;
    Decoder::Result r = decoder.addText(encoded.text);
    for (const QByteArray &a : encoded.attachments) {
        if (r != Decoder::Result::NeedMore)
            return false;
        r = decoder.addBinary(a);
    }
    if (r != Decoder::Result::Packet)
        return false;
    *out = decoder.takePacket();
    return true;
}

void checkRoundTrip(const Packet &packet)
{
    const EncodedPacket first = encodePacket(packet);
    if (first.text.isEmpty())
        abort(); // decoded namespaces never contain ',', so encoding cannot fail
    Packet again;
    if (!decodeEncoded(first, &again)) {
        if (hasNonFinite(packet.data))
            return;
        abort();
    }
    if (again.type != packet.type || again.nsp != packet.nsp || again.id != packet.id)
        abort();
    const EncodedPacket second = encodePacket(again);
    if (second.text != first.text || second.attachments != first.attachments)
        abort();
}

// The separating decoder's packet \a b is the plain decoder's \a a.
void checkSameAsPlain(const Packet &a, const Packet &b)
{
    QCborValue data = b.data;
    if (b.argsOnly) {
        if (a.type != PacketType::Event || !b.data.isArray())
            abort();
        QCborArray full = b.data.toArray();
        full.prepend(b.event);
        data = full;
    }
    if (a.type != b.type || a.nsp != b.nsp || a.id != b.id || a.data != data)
        abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    Decoder decoder;
    Decoder separating;
    separating.setSeparateEventName(true);
    qsizetype start = 0;
    while (start <= input.size()) {
        qsizetype end = input.indexOf('\x1e', start);
        if (end < 0)
            end = input.size();
        const QByteArray message = input.mid(start, end - start);
        start = end + 1;

        const bool binary = message.startsWith('b');
        const Decoder::Result result = binary ? decoder.addBinary(message.mid(1)) : decoder.addText(message);
        const Decoder::Result separated = binary ? separating.addBinary(message.mid(1)) : separating.addText(message);
        if (separated != result || separating.errorString() != decoder.errorString())
            abort();
        if (result == Decoder::Result::Error) {
            if (decoder.errorString().isEmpty())
                abort();
            decoder.reset();
            separating.reset();
        } else if (result == Decoder::Result::Packet) {
            const Packet packet = decoder.takePacket();
            checkSameAsPlain(packet, separating.takePacket());
            checkRoundTrip(packet);
        }
    }
    return 0;
}
