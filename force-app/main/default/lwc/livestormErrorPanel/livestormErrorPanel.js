import { LightningElement, api } from 'lwc';
import { reduceErrors } from 'c/ldsUtils';

export default class LivestormErrorPanel extends LightningElement {
    /** What the user was trying to see, e.g. "Could not load the Livestorm session". */
    @api friendlyMessage = 'Something went wrong';
    /** One error or a list of errors, in any shape Lightning Data Service reports. */
    @api errors;

    get messages() {
        return reduceErrors(this.errors).map((text, index) => ({ key: `message-${index}`, text }));
    }
}
