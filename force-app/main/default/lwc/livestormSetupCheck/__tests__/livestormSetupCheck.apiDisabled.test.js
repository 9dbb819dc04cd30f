import { createElement } from '@lwc/engine-dom';
import LivestormSetupCheck from 'c/livestormSetupCheck';
import { getRecord } from 'lightning/uiRecordApi';
import { getObjectInfos } from 'lightning/uiObjectInfoApi';

// A permission the user lacks imports as undefined. The import is read once when the module loads, so this
// case needs a file of its own.
jest.mock('@salesforce/userPermission/ApiEnabled', () => ({ default: undefined }), { virtual: true });

const mockUser = require('./data/getRecordUser.json');
const mockObjectInfos = require('./data/getObjectInfos.json');

describe('c-livestorm-setup-check', () => {
    afterEach(() => {
        while (document.body.firstChild) {
            document.body.removeChild(document.body.firstChild);
        }
        jest.clearAllMocks();
    });

    async function flushPromises() {
        return Promise.resolve();
    }

    describe('user without API Enabled', () => {
        it('fails only the API Enabled check and says how to fix it', async () => {
            const element = createElement('c-livestorm-setup-check', { is: LivestormSetupCheck });
            document.body.appendChild(element);
            getRecord.emit(mockUser);
            getObjectInfos.emit(mockObjectInfos);
            await flushPromises();

            const failing = [...element.shadowRoot.querySelectorAll('.check[data-status="fail"]')].map(
                (item) => item.dataset.check
            );
            expect(failing).toEqual(['api-enabled']);
            const apiCheck = element.shadowRoot.querySelector('[data-check="api-enabled"]');
            expect(apiCheck.querySelector('.check-detail').textContent).toBe(
                'You do not have the API Enabled permission: the listener cannot connect to Salesforce as you.'
            );
            expect(apiCheck.querySelector('.check-fix').textContent).toContain(
                'Livestorm Integration permission set'
            );
        });
    });
});
